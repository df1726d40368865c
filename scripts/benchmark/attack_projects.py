"""The projects of the attack rows: a good one (the Python example) and hostile ones (the test
guests misbehave-py and misbehave-js, a WAT guest answering a huge header list), deployed
into the bench's database."""

from __future__ import annotations

import os
from pathlib import Path

from wasmtime import wat2wasm

from .examples import Example
from .many import deploy_to_many
from .wasmhost import ROOT, Workspace, build_guest

GOOD = "good-py"
HOSTILE_PY = "hostile-py"
HOSTILE_JS = "hostile-js"
BOMB = "hostile-bomb"  # 700,000 empty headers
SMALL_BOMB = "hostile-bomb-100k"  # 100,000
BOMB_SIZES = {BOMB: 700_000, SMALL_BOMB: 100_000}
BIG_ASSET = "/big.bin"
BIG_ASSET_BYTES = 20 * 1024 * 1024

# A component whose handler answers 200 with COUNT empty (name, value) pairs: zeroed memory
# read as string pointers and lengths, so the guest does nothing and the host gets the list.
BOMB_WAT = r"""
(component
  (type $headers (list (tuple string string)))
  (type $body0 (variant (case "empty") (case "bytes" (list u8)) (case "host" u32)))
  (export $body "body" (type $body0))
  (type $request0 (record (field "method" string) (field "url" string)
                          (field "headers" $headers) (field "body" $body)))
  (type $response0 (record (field "status" u16) (field "headers" $headers) (field "body" $body)))
  (export $request "request" (type $request0))
  (export $response "response" (type $response0))
  (core module $m
    (memory (export "memory") 1)
    (global $heap (mut i32) (i32.const 1024))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $p i32)
      (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get 2) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get 2))))
      (global.set $heap (i32.add (local.get $p) (local.get 3)))
      (if (i32.gt_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536)))
        (then (drop (memory.grow
          (i32.sub (i32.add (i32.shr_u (global.get $heap) (i32.const 16)) (i32.const 1))
                   (memory.size))))))
      (local.get $p))
    (func (export "fetch") (param i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)
      (if (i32.lt_u (memory.size) (i32.const PAGES))
        (then (drop (memory.grow (i32.sub (i32.const PAGES) (memory.size))))))
      (i32.store16 (i32.const 64) (i32.const 200))
      (i32.store (i32.const 68) (i32.const 65536))
      (i32.store (i32.const 72) (i32.const COUNT))
      (i32.store8 (i32.const 76) (i32.const 0))
      i32.const 64))
  (core instance $i (instantiate $m))
  (func $fetch (param "req" $request) (result $response)
    (canon lift (core func $i "fetch") (memory (core memory $i "memory"))
                (realloc (core func $i "realloc"))))
  (instance $h (export "fetch" (func $fetch)))
  (export "wasmhost:worker/handler@0.1.0" (instance $h))
)
"""


def deploy_attack_projects(space: Workspace, good: Example) -> None:
    """Build the hostile guests and deploy them, with the good project, into the database."""
    hostile_site = _hostile_site(space.root / "hostile-site")
    for language, project in (("py", HOSTILE_PY), ("js", HOSTILE_JS)):
        source = ROOT / "tests" / "guests" / f"misbehave-{language}"
        worker = build_guest(source, space.root / f"misbehave-{language}.wasm")
        deploy_to_many(space, [project], worker, hostile_site)
    no_files = space.root / "no-files"
    no_files.mkdir(exist_ok=True)
    for project, count in BOMB_SIZES.items():
        wasm = space.root / f"{project}.wasm"
        wasm.write_bytes(bytes(wat2wasm(bomb_wat(count))))
        deploy_to_many(space, [project], wasm, no_files)
    deploy_to_many(space, [GOOD], good.worker, good.site)


def bomb_wat(count: int) -> str:
    """The header bomb answering `count` empty headers."""
    pages = (65536 + 16 * count) // 65536 + 1
    return BOMB_WAT.replace("PAGES", str(pages)).replace("COUNT", str(count))


def _hostile_site(out: Path) -> Path:
    """The hostile projects' files: a large random file to fetch again and again."""
    out.mkdir(exist_ok=True)
    (out / BIG_ASSET[1:]).write_bytes(os.urandom(BIG_ASSET_BYTES))
    return out
