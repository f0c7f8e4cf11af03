"""The image fetcher verifies SHA-512 before the stack may use an image (file:// only here)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "fetch_image.py"


def fetch(url: str, dest: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), "--url", url, "--dest", str(dest),
                           *extra], capture_output=True, text=True, timeout=60)


def make_image(tmp_path: Path) -> tuple[Path, str]:
    image = tmp_path / "mirror" / "debian-12-genericcloud-amd64.qcow2"
    image.parent.mkdir()
    image.write_bytes(b"not really qcow2 " * 4096)
    digest = hashlib.sha512(image.read_bytes()).hexdigest()
    return image, digest


def test_verified_against_published_sums(tmp_path: Path) -> None:
    image, digest = make_image(tmp_path)
    (image.parent / "SHA512SUMS").write_text(f"{'0' * 128}  other.raw\n{digest}  {image.name}\n")
    dest = tmp_path / "cache" / image.name
    result = fetch(image.as_uri(), dest)
    assert result.returncode == 0, result.stderr
    assert dest.read_bytes() == image.read_bytes()
    again = fetch(image.as_uri(), dest)
    assert "already verified" in again.stdout


def test_wrong_digest_leaves_nothing_behind(tmp_path: Path) -> None:
    image, _ = make_image(tmp_path)
    dest = tmp_path / "cache" / image.name
    result = fetch(image.as_uri(), dest, "--sha512", "f" * 128)
    assert result.returncode != 0
    assert "expected ffffffffffffffff" in result.stderr
    assert list(dest.parent.iterdir()) == []
