"""mypy plugin: a SQLModel table's field read on the class is a column, not a value.

SQLModel declares `Patient.id` as `int | None`, which is what an instance holds; on the class
the same name is an `InstrumentedAttribute` that builds SQL (`Patient.id.in_(ids)`,
`Patient.mrn == mrn`). Without this plugin every query needs `col(...)` around each column
to type-check. With it, a class-level read of a `table=True` model's field has the type
SQLAlchemy gives it at run time, `InstrumentedAttribute[T]`, and a primary key column reads
as never NULL (`select(Patient.id)` gives `int`), as SQLAlchemy's own `Mapped[int]` types it.
Instances are untouched: a row's `id` stays `int | None`, since it is None until flushed.
Each table class also gets the `__table__` (a `Table`) that SQLModel sets but does not declare.
"""

from collections.abc import Callable

from mypy.nodes import AssignmentStmt, CallExpr, NameExpr, RefExpr, TypeInfo, Var
from mypy.plugin import AttributeContext, ClassDefContext, Plugin
from mypy.plugins.common import add_attribute_to_class
from mypy.types import (
    FunctionLike,
    Instance,
    NoneType,
    ProperType,
    Type,
    TypeType,
    UnionType,
    get_proper_type,
)

SQLMODEL = "sqlmodel.main.SQLModel"
COLUMN = "sqlalchemy.orm.attributes.InstrumentedAttribute"
TABLE = "sqlalchemy.sql.schema.Table"
TABLE_KEY = "tracker_sqlmodel_table"  # kept in the class's metadata, so mypy's cache keeps it


def _is_true(expr: object) -> bool:
    return isinstance(expr, NameExpr) and expr.fullname == "builtins.True"


def _primary_keys(ctx: ClassDefContext) -> list[str]:
    """Fields declared `= Field(..., primary_key=True)` in the class body."""
    keys = []
    for statement in ctx.cls.defs.body:
        if not (
            isinstance(statement, AssignmentStmt)
            and isinstance(statement.rvalue, CallExpr)
            and isinstance(statement.rvalue.callee, RefExpr)
            and statement.rvalue.callee.name == "Field"
        ):
            continue
        call = statement.rvalue
        if any(
            name == "primary_key" and _is_true(arg)
            for name, arg in zip(call.arg_names, call.args, strict=True)
        ):
            keys += [lv.name for lv in statement.lvalues if isinstance(lv, NameExpr)]
    return keys


def _remember_tables(ctx: ClassDefContext) -> None:
    """Mark a class declared `(SQLModel, table=True)` as a table model, with its keys, and
    declare the `__table__` that SQLModel gives it at run time."""
    if not _is_true(ctx.cls.keywords.get("table")):
        return
    ctx.cls.info.metadata[TABLE_KEY] = {"primary_keys": _primary_keys(ctx)}
    table = ctx.api.lookup_fully_qualified_or_none(TABLE)
    if table is not None and isinstance(table.node, TypeInfo):
        add_attribute_to_class(
            ctx.api, ctx.cls, "__table__", Instance(table.node, []), is_classvar=True
        )


def _class_of(owner: ProperType) -> TypeInfo | None:
    """The class whose attribute is read, when it is read on the class itself."""
    if isinstance(owner, FunctionLike) and owner.is_type_obj():
        return owner.type_object()
    if isinstance(owner, TypeType):
        item = get_proper_type(owner.item)
        if isinstance(item, Instance):
            return item.type
    return None


def _is_field(info: TypeInfo, name: str) -> bool:
    """True for a declared field (not a method, property, ClassVar or dunder)."""
    if name.startswith("_"):
        return False
    symbol = info.get(name)
    node = symbol.node if symbol else None
    return isinstance(node, Var) and not node.is_classvar and not node.is_property


def _not_none(value: Type) -> Type:
    """`T | None` without the None."""
    proper = get_proper_type(value)
    if not isinstance(proper, UnionType):
        return value
    items = [i for i in proper.items if not isinstance(get_proper_type(i), NoneType)]
    return items[0] if len(items) == 1 else UnionType.make_union(items)


class SQLModelColumnsPlugin(Plugin):
    """Types `Model.field` on table models as SQLAlchemy's instrumented column attribute."""

    def get_base_class_hook(self, fullname: str) -> Callable[[ClassDefContext], None] | None:
        """Watch classes that subclass SQLModel directly."""
        return _remember_tables if fullname == SQLMODEL else None

    def get_class_attribute_hook(self, fullname: str) -> Callable[[AttributeContext], Type] | None:
        """Change the type of a field read on a table model class."""
        name = fullname.rpartition(".")[2]

        def column(ctx: AttributeContext) -> Type:
            info = _class_of(ctx.type)
            if (
                ctx.is_lvalue
                or info is None
                or TABLE_KEY not in info.metadata
                or not _is_field(info, name)
            ):
                return ctx.default_attr_type
            column_class = self.lookup_fully_qualified(COLUMN)
            if column_class is None or not isinstance(column_class.node, TypeInfo):
                return ctx.default_attr_type
            value = ctx.default_attr_type
            if name in info.metadata[TABLE_KEY]["primary_keys"]:
                value = _not_none(value)
            return Instance(column_class.node, [value])

        return column


def plugin(version: str) -> type[Plugin]:
    """The entry point mypy calls."""
    return SQLModelColumnsPlugin
