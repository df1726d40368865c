"""Project config files: wasmhost.toml and a Workers user's wrangler.toml / wrangler.jsonc."""

from pathlib import Path

import pytest

from host.project_config import ConfigError, find_config, read_config, strip_jsonc

WRANGLER_TOML = """
name = "my-site"
main = "src/index.ts"
compatibility_date = "2025-01-01"

[assets]
directory = "./public"
not_found_handling = "single-page-application"
binding = "ASSETS"

[vars]
GREETING = "hello"
COUNT = 3
"""

WRANGLER_JSONC = """{
  // a comment, and "strings with // and /* inside */" stay
  "name": "my-site", /* block */
  "main": "worker.js",
  "assets": { "directory": "dist", "html_handling": "none", },
  "vars": { "URL": "https://example.com/a//b" },
}"""


def write(folder: Path, name: str, text: str) -> Path:
    """A config file in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)
    return folder / name


def test_wrangler_toml_keys_are_read_and_others_listed(tmp_path: Path) -> None:
    config = read_config(write(tmp_path, "wrangler.toml", WRANGLER_TOML))
    assert (config.name, config.main) == ("my-site", tmp_path / "src/index.ts")
    assert config.assets == tmp_path / "public"
    assert config.asset_options == {"not_found_handling": "single-page-application"}
    assert config.vars == {"GREETING": "hello", "COUNT": "3"}
    assert config.ignored == ("compatibility_date", "assets.binding")


def test_wrangler_jsonc_comments_and_trailing_commas(tmp_path: Path) -> None:
    config = read_config(write(tmp_path, "wrangler.jsonc", WRANGLER_JSONC))
    assert (config.name, config.main, config.assets) == (
        "my-site",
        tmp_path / "worker.js",
        tmp_path / "dist",
    )
    assert config.asset_options == {"html_handling": "none"}
    assert config.vars == {"URL": "https://example.com/a//b"}


def test_wasmhost_toml_may_name_a_built_worker_and_limits(tmp_path: Path) -> None:
    text = 'name = "x"\nworker = "build/w.wasm"\n[limits]\ncpu_deadline_ms = 200\n'
    config = read_config(write(tmp_path, "wasmhost.toml", text))
    assert (config.worker, dict(config.limits)) == (
        tmp_path / "build/w.wasm",
        {"cpu_deadline_ms": 200},
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('nmae = "typo"\n', "unknown key 'nmae'"),
        ('[assets]\ndirectroy = "p"\n', "unknown key 'assets.directroy'"),
        ("name = 3\n", "name must be a string"),
        ('assets = "public"\n', "assets must be a table"),
        ('[limits]\ncpu_deadline_ms = "fast"\n', "limits.cpu_deadline_ms must be a whole number"),
        ("name = \n", "wasmhost.toml is not valid"),
    ],
)
def test_wasmhost_toml_mistakes_are_named(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        read_config(write(tmp_path, "wasmhost.toml", text))


def test_wasmhost_toml_comes_before_wrangler_files(tmp_path: Path) -> None:
    assert find_config(tmp_path) is None
    write(tmp_path, "wrangler.jsonc", "{}")
    assert find_config(tmp_path) == tmp_path / "wrangler.jsonc"
    write(tmp_path, "wasmhost.toml", "")
    assert find_config(tmp_path) == tmp_path / "wasmhost.toml"


def test_strip_jsonc_keeps_strings_whole() -> None:
    text = '{"a": "x // y /* z */", "b": [1, 2,], "c": "\\" // still a string"}'
    assert strip_jsonc(text) == '{"a": "x // y /* z */", "b": [1, 2], "c": "\\" // still a string"}'
    with pytest.raises(ValueError, match="unterminated"):
        strip_jsonc("{/* open")


def test_kv_namespaces_as_workers_users_declare_them(tmp_path: Path) -> None:
    (tmp_path / "wrangler.jsonc").write_text(
        '{"name": "s", "kv_namespaces": [{"binding": "NOTES"}, {"binding": "CACHE", "id": "c1",'
        ' "preview_id": "p"}]}'
    )
    config = read_config(tmp_path / "wrangler.jsonc")
    assert config.kv_namespaces == {"NOTES": "NOTES", "CACHE": "c1"}
    assert read_config(write(tmp_path, "wasmhost.toml", 'name = "s"\n')).kv_namespaces is None


@pytest.mark.parametrize(
    "text",
    ['kv_namespaces = "NOTES"\n', 'kv_namespaces = [{ id = "x" }]\n', "kv_namespaces = [1]\n"],
)
def test_bad_kv_namespaces_are_refused(tmp_path: Path, text: str) -> None:
    with pytest.raises(ConfigError, match="kv_namespaces"):
        read_config(write(tmp_path, "wasmhost.toml", text))


def test_the_readme_example_config_reads(tmp_path: Path) -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    example = readme.split("```toml\n", 1)[1].split("```", 1)[0]
    config = read_config(write(tmp_path, "wasmhost.toml", example))
    assert (config.name, config.kv_namespaces, config.vars) == (
        "hello",
        {"NOTES": "NOTES"},
        {"GREETING": "hello"},
    )
    assert config.limits == {"cpu_deadline_ms": 500}
