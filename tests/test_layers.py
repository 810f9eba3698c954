"""The layers as contracts (pyproject.toml's [tool.importlinter], run by `./lantern lint` and CI as
`lint-imports`): the code keeps them, and an import that crosses a layer breaks the contract that forbids it.

The contracts are checked here through import-linter's own classes on grimp's import graph, in-process,
without running the whole linter."""

from __future__ import annotations

import ast
import copy
from pathlib import Path

import grimp
import pytest
from importlinter import api
from importlinter.contracts.forbidden import ForbiddenContract
from importlinter.domain.contract import ContractCheck

ROOT = Path(__file__).resolve().parent.parent
CONFIG = api.read_configuration(str(ROOT / "pyproject.toml"))
SESSION = CONFIG["session_options"]
CONTRACTS = {options["name"]: options for options in CONFIG["contracts_options"]}

STORAGE_CORE_CONFIG = "storage, core and config never import cogs or bot"
ENGINE = "engine imports nothing of Discord, the database, the scheduler, the bot or the tools"
NO_TOOLS = "the product never imports tools"


@pytest.fixture(scope="module")
def fresh_graph() -> grimp.ImportGraph:
    return grimp.build_graph(
        *SESSION["root_packages"],
        include_external_packages=SESSION["include_external_packages"] == "True",
        exclude_type_checking_imports=SESSION["exclude_type_checking_imports"] == "True",
        cache_dir=None,  # nothing written into the work tree
    )


@pytest.fixture
def graph(fresh_graph: grimp.ImportGraph) -> grimp.ImportGraph:
    return copy.deepcopy(fresh_graph)  # as lint-imports does: a contract check may change the graph


def check(name: str, graph: grimp.ImportGraph) -> ContractCheck:
    options = CONTRACTS[name]
    assert options["type"] == "forbidden"
    contract = ForbiddenContract(name=name, session_options=SESSION, contract_options=options)
    return contract.check(graph, verbose=False)


def test_the_contracts_are_the_ones_this_test_knows() -> None:
    """pyproject.toml holds the three layer contracts, with type-only imports allowed and third-party
    packages in the graph (so the engine contract can forbid discord and sqlalchemy)."""
    assert set(CONTRACTS) == {STORAGE_CORE_CONFIG, ENGINE, NO_TOOLS}
    assert SESSION["exclude_type_checking_imports"] == "True"
    assert SESSION["include_external_packages"] == "True"


@pytest.mark.parametrize("name", [STORAGE_CORE_CONFIG, ENGINE, NO_TOOLS])
def test_the_code_keeps_the_contract(name: str, graph: grimp.ImportGraph) -> None:
    """Lantern as it is keeps every layer contract."""
    result = check(name, graph)
    assert result.kept, result.metadata


@pytest.mark.parametrize(
    ("name", "importer", "imported"),
    [
        (STORAGE_CORE_CONFIG, "storage.search", "cogs.resources.cog"),
        (STORAGE_CORE_CONFIG, "core.text", "bot"),
        (STORAGE_CORE_CONFIG, "config.settings", "cogs.guild_config"),
        (ENGINE, "engine.circles.model", "discord"),
        (ENGINE, "engine.circles.model", "sqlalchemy"),
        (ENGINE, "engine.circles.model", "storage.base"),
        (NO_TOOLS, "cogs.resources.cog", "tools.demo"),
        (NO_TOOLS, "storage.search", "tools.seed"),
    ],
)
def test_a_forbidden_import_breaks_the_contract(
    name: str, importer: str, imported: str, graph: grimp.ImportGraph
) -> None:
    """Adding one import that crosses a layer makes its contract report it as broken."""
    graph.add_import(importer=importer, imported=imported, line_number=1, line_contents=f"import {imported}")
    result = check(name, graph)
    assert not result.kept
    assert importer in str(result.metadata)


def test_an_indirect_forbidden_import_breaks_the_contract(graph: grimp.ImportGraph) -> None:
    """A chain counts too: core importing a module outside the contract (tools.world) that imports bot."""
    graph.add_import(importer="core.text", imported="tools.world", line_number=1, line_contents="import tools.world")
    result = check(STORAGE_CORE_CONFIG, graph)
    assert not result.kept
    assert "tools.world" in str(result.metadata)


def runtime_imports(tree: ast.Module) -> set[str]:
    """The modules a file imports when it runs (not those under `if TYPE_CHECKING:`)."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None and node.level == 0:
            found.add(node.module)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def test_bot_py_never_imports_tools() -> None:
    """bot.py is a single module, which grimp doesn't graph: its own imports keep the no-tools contract
    here (what it imports from the packages is covered by the contracts above)."""
    imports = runtime_imports(ast.parse((ROOT / "bot.py").read_text(encoding="utf-8")))
    assert "core.tree" in imports  # the scan sees bot.py's imports
    assert not {module for module in imports if module == "tools" or module.startswith("tools.")}
