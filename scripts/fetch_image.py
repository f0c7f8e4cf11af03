#!/usr/bin/env python3
"""Download a VM image once into a local cache and verify its SHA-512 before anyone uses it.

The libvirt provider uploads whatever URL it is given without a checksum, so the production
stack points it at this verified local copy instead. Without --sha512 the expected digest is
read from the SHA512SUMS file published beside the image (Debian's cloud image layout).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
import urllib.request
from pathlib import Path
from urllib.parse import urljoin, urlparse

CHUNK = 1 << 20


def expected_digest(url: str) -> str:
    sums_url = urljoin(url, "SHA512SUMS")
    name = Path(urlparse(url).path).name
    with urllib.request.urlopen(sums_url, timeout=60) as response:
        for line in response.read().decode().splitlines():
            digest, _, file_name = line.partition("  ")
            if file_name.strip().lstrip("*") == name:
                return digest.strip()
    raise SystemExit(f"fetch_image: {name} is not listed in {sums_url}")


def sha512_of(path: Path) -> str:
    digest = hashlib.sha512()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def fetch(url: str, dest: Path, sha512: str | None) -> None:
    want = sha512 or expected_digest(url)
    if dest.exists() and sha512_of(dest) == want:
        print(f"fetch_image: {dest} already verified")
        return
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=dest.parent, delete=False) as part:
        try:
            with urllib.request.urlopen(url, timeout=60) as response:
                shutil.copyfileobj(response, part, CHUNK)
            part.close()
            got = sha512_of(Path(part.name))
            if got != want:
                raise SystemExit(f"fetch_image: {url} has SHA-512 {got[:16]}..., expected "
                                 f"{want[:16]}...; vm.image_sha512 or the download is wrong")
            os.replace(part.name, dest)
        finally:
            if os.path.exists(part.name):
                os.unlink(part.name)
    print(f"fetch_image: {url} -> {dest} (verified)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--dest", required=True, type=Path)
    parser.add_argument("--sha512")
    args = parser.parse_args()
    fetch(args.url, args.dest, args.sha512)


if __name__ == "__main__":
    sys.exit(main())
