"""Tiny guests written as WAT components, so runtime tests need no guest toolchain.

Each implements the `worker` world's export by hand. The core `fetch` receives the flattened
request (method, url, headers as pointer/length pairs, then the body's discriminant and
payload) and returns a pointer to a response laid out in memory at offset 64:
status u16 @64, headers ptr/len @68/@72, body discriminant u8 @76, payload @80/@84.
"""

RESPONSE_DATA = r"""
    (data (i32.const 64) "\c8\00\00\00\80\00\00\00\01\00\00\00\01\00\00\00\a0\00\00\00\05\00\00\00")
    (data (i32.const 128) "\c0\00\00\00\0c\00\00\00\d0\00\00\00\0a\00\00\00")
    (data (i32.const 160) "hello")
    (data (i32.const 192) "content-type")
    (data (i32.const 208) "text/plain")
"""

TEMPLATE = r"""
(component
  (type $headers (list (tuple string string)))
  (type $body0 (variant (case "empty") (case "bytes" (list u8)) (case "host" u32)))
  (export $body "body" (type $body0))
  (type $request0 (record (field "method" string) (field "url" string)
                          (field "headers" $headers) (field "body" $body)))
  (type $response0 (record (field "status" u16) (field "headers" $headers) (field "body" $body)))
  (export $request "request" (type $request0))
  (export $response "response" (type $response0))
  IMPORTS
  (core module $m
    CORE_IMPORTS
    (memory (export "memory") 1)
    (table $t 1 funcref)
    (global $heap (mut i32) (i32.const 4096))
    (global $count (mut i32) (i32.const 0))
    (global $kept (mut i32) (i32.const 0))
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
    RESPONSE_DATA
    (func (export "fetch") (param $method i32) (param i32) (param i32) (param i32)
                           (param i32) (param i32) (param $disc i32) (param $p1 i32) (param $p2 i32)
                           (result i32)
      BODY)
  )
  (core instance $i (instantiate $m WITH))
  (func $fetch (param "req" $request) (result $response)
    (canon lift (core func $i "fetch") (memory (core memory $i "memory"))
                (realloc (core func $i "realloc"))))
  (instance $h (export "fetch" (func $fetch)))
  (export "INTERFACE" (instance $h))
)
"""

HANDLER = "wasmhost:worker/handler@0.1.0"

HELLO = "i32.const 64"
"""Answers 200 `hello` as text/plain."""

ECHO_BODY = """
      (i32.store8 (i32.const 76) (local.get $disc))
      (i32.store (i32.const 80) (local.get $p1))
      (i32.store (i32.const 84) (local.get $p2))
      i32.const 64"""
"""Answers 200 with the request's body variant passed straight back (handle or bytes)."""

LOOP = "(loop $forever (br $forever)) i32.const 64"
"""Never returns."""

TRAP = "unreachable"
"""Traps at once."""

RECURSE = """
      (call 1 (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4)
              (local.get 5) (local.get 6) (local.get 7) (local.get 8))"""
"""Calls itself (`fetch` is core function 1, after `realloc`) until the stack runs out."""

MEMORY_BOMB = """
      (block $done (loop $grow
        (br_if $done (i32.eq (memory.grow (i32.const 16)) (i32.const -1)))
        (br $grow)))
      (i32.store16 (i32.const 64) (memory.size))
      i32.const 64"""
"""Grows memory until refused; answers with the number of 64 KiB pages it got as status."""

FILL_64_MIB = """
      (drop (memory.grow (i32.const 1024)))
      (memory.fill (i32.const 65536) (i32.const 1) (i32.const 0x4000000))
      i32.const 64"""
"""Grows memory by 64 MiB and writes every byte of it (so it is resident), then answers 200."""

TABLE_BOMB = """
      (block $done (loop $grow
        (br_if $done (i32.eq (table.grow $t (ref.null func) (i32.const 10000)) (i32.const -1)))
        (br $grow)))
      (i32.store16 (i32.const 64) (i32.div_u (table.size $t) (i32.const 1000)))
      i32.const 64"""
"""Grows its table until refused; answers with the thousands of elements it got as status."""

BAD_STATUS = """
      (i32.store16 (i32.const 64) (i32.const 42))
      i32.const 64"""
"""Answers status 42."""


COUNT = """
      (if (i32.eq (i32.load8_u (local.get $method)) (i32.const 0x50))
        (then unreachable))
      (global.set $count (i32.add (global.get $count) (i32.const 1)))
      (i32.store16 (i32.const 64) (i32.add (i32.const 200) (global.get $count)))
      i32.const 64"""
"""Answers 200 plus how many requests this instance has served; traps on POST."""

KEEP_FIRST_BODY = """
      (if (i32.eqz (global.get $kept)) (then (global.set $kept (local.get $p1))))
      (i32.store16 (i32.const 64) (i32.const 200))
      (i32.store (i32.const 72) (i32.const 0))
      (i32.store8 (i32.const 76) (i32.const 2))
      (i32.store (i32.const 80) (global.get $kept))
      i32.const 64"""
"""Keeps the first request's body handle in a global and answers every request with it."""


HEADER_BOMB = """
      (drop (memory.grow (i32.const 32)))
      (i32.store (i32.const 68) (i32.const 65536))
      (i32.store (i32.const 72) (i32.const 100000))
      i32.const 64"""
"""Answers with 100,000 empty headers (zeroed memory: every name and value is empty)."""


SLEEP_IMPORTS = (
    """
  (import "wasi:io/poll@0.2.0" (instance $poll
    (export "pollable" (type (sub resource)))
    (export "[method]pollable.block" (func (param "self" (borrow 0))))))
  (alias export $poll "pollable" (type $pollable))
  (alias export $poll "[method]pollable.block" (func $block))
  (import "wasi:clocks/monotonic-clock@0.2.0" (instance $clock
    (alias outer 1 $pollable (type $p))
    (export "pollable" (type $p' (eq $p)))
    (export "subscribe-duration" (func (param "when" u64) (result (own $p'))))))
  (alias export $clock "subscribe-duration" (func $subscribe))
  (core func $subscribe_c (canon lower (func $subscribe)))
  (core func $block_c (canon lower (func $block)))
  (core func $drop_c (canon resource.drop $pollable))
  (core instance $wasi (export "subscribe" (func $subscribe_c)) (export "block" (func $block_c))
                       (export "drop" (func $drop_c)))""",
    """
    (import "wasi" "subscribe" (func $subscribe (param i64) (result i32)))
    (import "wasi" "block" (func $block (param i32)))
    (import "wasi" "drop" (func $drop (param i32)))""",
    """(with "wasi" (instance $wasi))""",
)
"""What a guest that waits in WASI imports: its component imports, core imports and wiring."""


def sleep(seconds: float) -> str:
    """Waits `seconds` on a WASI monotonic-clock pollable, then answers 200 `hello`."""
    return f"""
      (local $pollable i32)
      (local.set $pollable (call $subscribe (i64.const {round(seconds * 1e9)})))
      (call $block (local.get $pollable))
      (call $drop (local.get $pollable))
      i32.const 64"""


def guest(body: str, interface: str = HANDLER, imports: tuple[str, str, str] = ("", "", "")) -> str:
    """A component whose `fetch` runs `body` (core WAT instructions returning a pointer), with
    `imports` (component imports, core imports, core wiring) such as SLEEP_IMPORTS."""
    component_imports, core_imports, wiring = imports
    return (
        TEMPLATE.replace("RESPONSE_DATA", RESPONSE_DATA)
        .replace("CORE_IMPORTS", core_imports)
        .replace("IMPORTS", component_imports)
        .replace("WITH", wiring)
        .replace("BODY", body)
        .replace("INTERFACE", interface)
    )


TWO_MEMORIES = r"""
(component
  (core module $a (memory (export "m") 1))
  (core module $b (memory (export "m") 1))
  (core instance $ia (instantiate $a))
  (core instance $ib (instantiate $b))
)
"""
"""Asks for a second linear memory (which would double the memory cap)."""

BODY_SIZE = r"""
(component
  (import "wasmhost:worker/bodies@0.1.0" (instance $bodies
    (export "size" (func (param "handle" u32) (result (option u64))))))
  (type $headers (list (tuple string string)))
  (type $body0 (variant (case "empty") (case "bytes" (list u8)) (case "host" u32)))
  (export $body "body" (type $body0))
  (type $request0 (record (field "method" string) (field "url" string)
                          (field "headers" $headers) (field "body" $body)))
  (type $response0 (record (field "status" u16) (field "headers" $headers) (field "body" $body)))
  (export $request "request" (type $request0))
  (export $response "response" (type $response0))
  (core module $mem (memory (export "memory") 1))
  (core instance $memory (instantiate $mem))
  (core func $size (canon lower (func $bodies "size") (memory (core memory $memory "memory"))))
  (core module $m
    (import "env" "memory" (memory 1))
    (import "env" "size" (func $size (param i32 i32)))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32) i32.const 1024)
    ;; response at 64: status from bodies.size, no headers, empty body
    (func (export "fetch") (param i32 i32 i32 i32 i32 i32) (param $disc i32) (param $p1 i32)
                           (param i32) (result i32)
      (call $size (local.get $p1) (i32.const 0))
      (i32.store16 (i32.const 64) (i32.wrap_i64 (i64.load (i32.const 8))))
      (i32.store (i32.const 68) (i32.const 0))
      (i32.store (i32.const 72) (i32.const 0))
      (i32.store8 (i32.const 76) (i32.const 0))
      i32.const 64)
  )
  (core instance $i (instantiate $m (with "env" (instance
    (export "memory" (memory $memory "memory"))
    (export "size" (func $size))))))
  (func $fetch (param "req" $request) (result $response)
    (canon lift (core func $i "fetch") (memory (core memory $memory "memory"))
                (realloc (core func $i "realloc"))))
  (instance $h (export "fetch" (func $fetch)))
  (export "wasmhost:worker/handler@0.1.0" (instance $h))
)
"""
"""Calls `bodies.size` on the handle of the request body and answers with it as status."""

ENV_VARS = r"""
(component
  (import "wasmhost:worker/env@0.1.0" (instance $env
    (export "vars" (func (result (list (tuple string string)))))))
  (type $headers (list (tuple string string)))
  (type $body0 (variant (case "empty") (case "bytes" (list u8)) (case "host" u32)))
  (export $body "body" (type $body0))
  (type $request0 (record (field "method" string) (field "url" string)
                          (field "headers" $headers) (field "body" $body)))
  (type $response0 (record (field "status" u16) (field "headers" $headers) (field "body" $body)))
  (export $request "request" (type $request0))
  (export $response "response" (type $response0))
  (core module $mem
    (memory (export "memory") 1)
    (data (i32.const 192) "content-type")
    (data (i32.const 208) "text/plain")
    (global $heap (mut i32) (i32.const 4096))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $p i32)
      (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get 2) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get 2))))
      (global.set $heap (i32.add (local.get $p) (local.get 3)))
      (if (i32.gt_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536)))
        (then (drop (memory.grow
          (i32.sub (i32.add (i32.shr_u (global.get $heap) (i32.const 16)) (i32.const 1))
                   (memory.size))))))
      (local.get $p)))
  (core instance $memory (instantiate $mem))
  (core func $vars (canon lower (func $env "vars") (memory (core memory $memory "memory"))
                                (realloc (core func $memory "realloc"))))
  (core module $m
    (import "env" "memory" (memory 1))
    (import "env" "vars" (func $vars (param i32)))
    (import "env" "realloc" (func $realloc (param i32 i32 i32 i32) (result i32)))
    ;; response at 64: 200, the vars and then content-type: text/plain as headers, empty body
    (func (export "fetch") (param i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)
      (local $n i32) (local $list i32) (local $last i32)
      (call $vars (i32.const 0))
      (local.set $n (i32.load (i32.const 4)))
      (local.set $list (call $realloc (i32.const 0) (i32.const 0) (i32.const 4)
        (i32.mul (i32.add (local.get $n) (i32.const 1)) (i32.const 16))))
      (memory.copy (local.get $list) (i32.load (i32.const 0))
        (i32.mul (local.get $n) (i32.const 16)))
      (local.set $last (i32.add (local.get $list) (i32.mul (local.get $n) (i32.const 16))))
      (i32.store (local.get $last) (i32.const 192))
      (i32.store offset=4 (local.get $last) (i32.const 12))
      (i32.store offset=8 (local.get $last) (i32.const 208))
      (i32.store offset=12 (local.get $last) (i32.const 10))
      (i32.store16 (i32.const 64) (i32.const 200))
      (i32.store (i32.const 68) (local.get $list))
      (i32.store (i32.const 72) (i32.add (local.get $n) (i32.const 1)))
      (i32.store8 (i32.const 76) (i32.const 0))
      i32.const 64)
  )
  (core instance $i (instantiate $m (with "env" (instance
    (export "memory" (memory $memory "memory"))
    (export "vars" (func $vars))
    (export "realloc" (func $memory "realloc"))))))
  (func $fetch (param "req" $request) (result $response)
    (canon lift (core func $i "fetch") (memory (core memory $memory "memory"))
                (realloc (core func $memory "realloc"))))
  (instance $h (export "fetch" (func $fetch)))
  (export "wasmhost:worker/handler@0.1.0" (instance $h))
)
"""
"""Calls `env.vars()` and answers 200 with the variables and secrets as its headers, then
`content-type: text/plain`."""
