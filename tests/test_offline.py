"""Proof that the notebooks run offline.

`make test` runs the whole pytest session — nbval's notebook kernels included — inside a network
namespace that has only the loopback interface (tests/offline.sh). These tests check, from inside
that session, that the isolation is real: any notebook that tried to download data or weights
would have failed with "Network is unreachable".
"""

import os
import socket

import pytest

IN_NAMESPACE = os.environ.get("DLIMITS_OFFLINE") == "1"


@pytest.fixture(autouse=True)
def _require_namespace():
    if not IN_NAMESPACE:
        message = ("not running inside tests/offline.sh's network namespace "
                   "(run `make test`, which uses it)")
        if os.environ.get("CI"):
            pytest.fail(message + "; CI must prove that the notebooks run offline")
        pytest.skip(message)


def test_only_the_loopback_interface_exists():
    assert [name for _, name in socket.if_nameindex()] == ["lo"]


@pytest.mark.parametrize("address", [("1.1.1.1", 53), ("151.101.0.223", 443)])
def test_outside_addresses_are_unreachable(address):
    with pytest.raises(OSError):
        socket.create_connection(address, timeout=2).close()


def test_name_resolution_fails():
    with pytest.raises(OSError):
        socket.getaddrinfo("pypi.org", 443)


def test_loopback_works_for_kernels_and_the_test_server():
    server = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(server.getsockname(), timeout=2)
    conn, _ = server.accept()
    client.sendall(b"ok")
    assert conn.recv(2) == b"ok"
    for s in (client, conn, server):
        s.close()


def test_notebooks_contain_no_download_calls():
    import json
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    forbidden = ("urlopen", "requests.get", "urlretrieve", "download=True", "fetch_openml",
                 "fetch_", "hf_hub_download", "from_pretrained", "torch.hub", "http://",
                 "https://", "load_state_dict_from_url")
    from booktools import launch

    sources = {}
    for nb in [root / "intro.ipynb", *sorted((root / "chapters").rglob("*.ipynb"))]:
        code = [c for c in json.loads(nb.read_text())["cells"] if c["cell_type"] == "code"]
        # the setup cell clones the course only in Google Colab (tests/test_launch.py proves it
        # does nothing where the package is installed); it must be exactly the generated cell
        setup = [c for c in code if launch.TAG in c.get("metadata", {}).get("tags", [])]
        assert all("".join(c["source"]) == launch.cell_source() for c in setup), nb.name
        sources[nb.name] = "\n".join("".join(c["source"]) for c in code if c not in setup)
    for module in sorted((root / "dlimits").rglob("*.py")):
        sources[str(module.relative_to(root))] = module.read_text()
    for name, code in sources.items():
        code = code.replace("http://127.0.0.1", "")  # loopback (the PDF printer's own server)
        hits = [f for f in forbidden if f in code]
        assert not hits, f"{name} calls {hits}"
