"""A folder integration whose schemas are not strictly Draft 7, as some public
ones are (``"required": false`` inside a property of ``auth.fields``, a
Draft 3 habit): ``apiary call`` validates as the reference SDK does, and
``apiary check`` warns, naming the file, the JSON pointer and the keyword,
without failing."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
APIARY = Path(sys.executable).parent / "apiary"
SHIPPED = ("github", "hackernews", "feeds", "http")


def _folder_host(tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "integrations" / "noarg"
    shutil.copytree(REPO / "tests" / "fixtures" / "folders" / "noarg", folder)
    config = json.loads((folder / "config.json").read_text())
    config["auth"] = {"type": "custom", "fields": {
        "type": "object", "properties": {"api_key": {"type": "string", "required": False}}}}
    config["actions"]["count_words"]["input_schema"]["properties"]["text"]["required"] = True
    (folder / "config.json").write_text(json.dumps(config))
    host = tmp_path / "apiary.toml"
    host.write_text('[host]\nfolders = ["integrations"]\n'
                    + "".join(f"[integrations.{name}]\nenabled = false\n" for name in SHIPPED))
    return folder / "config.json", host


def _apiary(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(APIARY), *args], capture_output=True, text=True, timeout=60)


def test_check_warns_and_call_validates_as_the_reference(tmp_path):
    config_json, host = _folder_host(tmp_path)
    tail = "validated as the reference SDK does, without checking the schema"
    auth_warning = (f"{config_json}: /auth/fields/properties/api_key/required: 'required' is not valid Draft 7 "
                    f"(False is not of type 'array'); {tail}")
    input_warning = (f"{config_json}: /actions/count_words/input_schema/properties/text/required: 'required' is not "
                     f"valid Draft 7 (True is not of type 'array'); {tail}")

    text = _apiary("check", "--config", str(host))
    assert text.returncode == 0, text.stdout + text.stderr
    assert text.stdout.splitlines() == [
        "ok   noarg",
        f"     warn {auth_warning}",
        f"     warn {input_warning}",
        "1 integrations checked, 0 with problems, 2 warnings",
    ]

    as_json = _apiary("check", "--json", "--config", str(host))
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout) == [{"id": "noarg", "source": f"folder {config_json.parent}", "ok": True,
                                          "problems": [], "warnings": [auth_warning, input_warning]}]

    call = _apiary("call", "noarg", "count_words", "--input", '{"text": "a b"}', "--auth", '{"api_key": "k"}',
                   "--config", str(host))
    assert call.returncode == 0, call.stdout + call.stderr
    assert json.loads(call.stdout)["result"]["data"]["words"] == 2
    refused = _apiary("call", "noarg", "count_words", "--input", '{"text": 3}', "--auth", '{"api_key": "k"}',
                      "--config", str(host))
    assert refused.returncode == 3, refused.stdout + refused.stderr
    assert "3 is not of type 'string'" in refused.stdout + refused.stderr
