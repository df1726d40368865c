"""The production examples (production/) parse, and say only what wasmhost understands."""

import configparser
import re
import shlex

from host.config import Settings, env_name, settings_fields
from host.guest_build import CACHE_MB_VARIABLE
from tests.conftest import ROOT

PRODUCTION = ROOT / "production"
VARIABLES = {env_name(f.name) for f in settings_fields()} | {"WASMHOST_CONFIG", CACHE_MB_VARIABLE}
INSTRUCTIONS = {"FROM", "RUN", "COPY", "WORKDIR", "USER", "ENV", "VOLUME", "EXPOSE", "CMD"}
INSTRUCTIONS |= {"STOPSIGNAL", "HEALTHCHECK", "ARG", "LABEL", "ENTRYPOINT"}


def test_every_variable_the_examples_set_is_a_setting() -> None:
    for path in PRODUCTION.iterdir():
        for name in re.findall(r"\bWASMHOST_[A-Z_]+", path.read_text()):
            assert name in VARIABLES, f"{path.name} names {name}, which is no setting"


def test_the_host_config_loads() -> None:
    settings = Settings.load(PRODUCTION / "host.toml")
    assert (settings.base_domain, settings.log_format) == ("apps.example.com", "json")


def test_nginx_config_is_balanced_and_passes_what_wasmhost_needs() -> None:
    text = re.sub(r"#.*", "", (PRODUCTION / "nginx.conf").read_text())
    depth = 0
    for line in filter(None, (line.strip() for line in text.splitlines())):
        assert line.endswith((";", "{", "}")), f"unterminated nginx line: {line}"
        depth += line.count("{") - line.count("}")
        assert depth >= 0
    assert depth == 0
    port = Settings.load(PRODUCTION / "host.toml").port
    assert f"server 127.0.0.1:{port};" in text
    # other names must not fall through to a block that passes them on (to the control plane)
    assert "listen 443 ssl default_server;" in text and "ssl_reject_handshake on;" in text
    assert "listen 80 default_server;" in text
    for location in re.findall(r"location / \{(.*?)\}", text, re.S):
        assert "proxy_set_header Host $host;" in location
        assert "proxy_set_header X-Request-Id $request_id;" in location


def test_the_systemd_unit_runs_wasmhost_serve_with_the_config() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(PRODUCTION / "wasmhost.service")
    assert set(unit.sections()) == {"Unit", "Service", "Install"}
    service = unit["Service"]
    assert shlex.split(service["ExecStart"])[1:] == ["serve"]
    assert service["KillSignal"] == "SIGTERM"
    stop = int(service["TimeoutStopSec"])
    assert stop > Settings().grace_seconds  # requests in flight get their grace period


def test_the_containerfile_uses_known_instructions_and_serves() -> None:
    text = (PRODUCTION / "Containerfile").read_text()
    logical = re.sub(r"\\\n", " ", text)
    for line in filter(None, (line.strip() for line in logical.splitlines())):
        if not line.startswith("#"):
            assert line.split()[0] in INSTRUCTIONS, line
    assert 'CMD ["wasmhost", "serve"]' in text
    assert "COPY host ./host" in text and (ROOT / "host").is_dir()


def test_the_readme_links_only_to_files_in_the_repository() -> None:
    for document in (ROOT / "README.md", PRODUCTION / "README.md"):
        for target in re.findall(r"\]\(([^)]+)\)", document.read_text()):
            assert "://" not in target, f"{document.name} links outside: {target}"
            path = target.split("#")[0]
            if path:
                assert (document.parent / path).exists(), f"{document.name}: {target} is missing"
