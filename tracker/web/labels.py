"""Words shown to staff for the codes of the rules and the store."""

FLAG_LABELS = {
    "overdue": "Overdue",
    "needs_booking": "Needs booking",
    "booking_outside_window": "Booked outside window",
    "waning_response": "Waning response",
    "refractory": "Refractory",
    "no_response": "No response",
    "review_due": "Review due",
    "weight_stale": "Weight stale",
    "authorization_ending": "Funding ending",
    "authorization_missing": "No funding",
}

PATTERN_LABELS = {"end_of_dose": "end of dose", "progressive": "progressive"}

ACTION_LABELS = {
    "escalate_dose": "Escalate dose",
    "shorten_interval": "Shorten interval",
    "max_dose_reached": "Maximum dose reached",
    "consider_taper": "Consider taper",
    "consider_trial_off": "Consider a trial off treatment",
}

STATUS_LABELS = {
    "active": "Active",
    "on_hold": "On hold",
    "discharged": "Discharged",
    "booked": "Booked",
    "given": "Given",
    "cancelled": "Cancelled",
    "missed": "Missed",
}

OTHER_TREATMENT_LABELS = {
    "cyclophosphamide": "Cyclophosphamide",
    "rituximab": "Rituximab",
    "trial_drug": "Trial drug",
    "other": "Other",
}

TIMING_LABELS = {
    "pre_infusion": "Pre-infusion",
    "post_infusion": "Post-infusion",
    "clinic": "Clinic",
}
