//! `wasi:sockets@0.2` on the reference VM, end to end: components built
//! here from core WebAssembly text and a WIT world (with `wit-component`,
//! as a guest toolchain would), run over loopback. No wasip2 corpus uses
//! the 0.2 sockets, so these components are the corpus: each export runs
//! one scenario and returns 0, or the number of the step that went wrong.
//!
//! The WIT below restates, in our words, the parts of the final
//! `wasi:io@0.2.12` and `wasi:sockets@0.2.12` packages the guests use (an
//! import may name a subset of an interface's functions).

use std::sync::{Arc, Mutex};

use reference_vm::component::{Runtime, Value, decode_component, validate_component};
use reference_vm::wasi::{WasiCtx, link_component};
use reference_vm::{Config, Features};

const WIT_IO: &str = r#"
package wasi:io@0.2.12;
interface error {
  resource error;
}
interface poll {
  resource pollable {
    ready: func() -> bool;
    block: func();
  }
}
interface streams {
  use error.{error};
  use poll.{pollable};
  variant stream-error { last-operation-failed(error), closed }
  resource input-stream {
    blocking-read: func(len: u64) -> result<list<u8>, stream-error>;
  }
  resource output-stream {
    check-write: func() -> result<u64, stream-error>;
    write: func(contents: list<u8>) -> result<_, stream-error>;
    blocking-write-and-flush: func(contents: list<u8>) -> result<_, stream-error>;
    subscribe: func() -> pollable;
  }
}
"#;

const WIT_SOCKETS: &str = r#"
package wasi:sockets@0.2.12;
interface network {
  resource network;
  enum error-code {
    unknown, access-denied, not-supported, invalid-argument, out-of-memory,
    timeout, concurrency-conflict, not-in-progress, would-block,
    invalid-state, new-socket-limit, address-not-bindable, address-in-use,
    remote-unreachable, connection-refused, connection-reset,
    connection-aborted, datagram-too-large, name-unresolvable,
    temporary-resolver-failure, permanent-resolver-failure,
  }
  enum ip-address-family { ipv4, ipv6 }
  variant ip-address {
    ipv4(tuple<u8, u8, u8, u8>),
    ipv6(tuple<u16, u16, u16, u16, u16, u16, u16, u16>),
  }
  record ipv4-socket-address { port: u16, address: tuple<u8, u8, u8, u8> }
  record ipv6-socket-address {
    port: u16,
    flow-info: u32,
    address: tuple<u16, u16, u16, u16, u16, u16, u16, u16>,
    scope-id: u32,
  }
  variant ip-socket-address {
    ipv4(ipv4-socket-address),
    ipv6(ipv6-socket-address),
  }
}
interface instance-network {
  use network.{network};
  instance-network: func() -> network;
}
interface tcp {
  use wasi:io/streams@0.2.12.{input-stream, output-stream};
  use wasi:io/poll@0.2.12.{pollable};
  use network.{network, error-code, ip-socket-address};
  enum shutdown-type { receive, send, both }
  resource tcp-socket {
    start-bind: func(network: borrow<network>, local-address: ip-socket-address) -> result<_, error-code>;
    finish-bind: func() -> result<_, error-code>;
    start-connect: func(network: borrow<network>, remote-address: ip-socket-address) -> result<_, error-code>;
    finish-connect: func() -> result<tuple<input-stream, output-stream>, error-code>;
    start-listen: func() -> result<_, error-code>;
    finish-listen: func() -> result<_, error-code>;
    accept: func() -> result<tuple<tcp-socket, input-stream, output-stream>, error-code>;
    local-address: func() -> result<ip-socket-address, error-code>;
    subscribe: func() -> pollable;
    shutdown: func(shutdown-type: shutdown-type) -> result<_, error-code>;
  }
}
interface tcp-create-socket {
  use network.{error-code, ip-address-family};
  use tcp.{tcp-socket};
  create-tcp-socket: func(address-family: ip-address-family) -> result<tcp-socket, error-code>;
}
interface udp {
  use wasi:io/poll@0.2.12.{pollable};
  use network.{network, error-code, ip-socket-address};
  record incoming-datagram { data: list<u8>, remote-address: ip-socket-address }
  record outgoing-datagram { data: list<u8>, remote-address: option<ip-socket-address> }
  resource udp-socket {
    start-bind: func(network: borrow<network>, local-address: ip-socket-address) -> result<_, error-code>;
    finish-bind: func() -> result<_, error-code>;
    %stream: func(remote-address: option<ip-socket-address>) -> result<tuple<incoming-datagram-stream, outgoing-datagram-stream>, error-code>;
    local-address: func() -> result<ip-socket-address, error-code>;
  }
  resource incoming-datagram-stream {
    receive: func(max-results: u64) -> result<list<incoming-datagram>, error-code>;
    subscribe: func() -> pollable;
  }
  resource outgoing-datagram-stream {
    check-send: func() -> result<u64, error-code>;
    send: func(datagrams: list<outgoing-datagram>) -> result<u64, error-code>;
  }
}
interface udp-create-socket {
  use network.{error-code, ip-address-family};
  use udp.{udp-socket};
  create-udp-socket: func(address-family: ip-address-family) -> result<udp-socket, error-code>;
}
interface ip-name-lookup {
  use wasi:io/poll@0.2.12.{pollable};
  use network.{network, error-code, ip-address};
  resource resolve-address-stream {
    resolve-next-address: func() -> result<option<ip-address>, error-code>;
    subscribe: func() -> pollable;
  }
  resolve-addresses: func(network: borrow<network>, name: string) -> result<resolve-address-stream, error-code>;
}
"#;

const WIT_TEST: &str = r#"
package test:sockets;
world guest {
  import wasi:sockets/instance-network@0.2.12;
  import wasi:sockets/tcp-create-socket@0.2.12;
  import wasi:sockets/tcp@0.2.12;
  import wasi:sockets/udp-create-socket@0.2.12;
  import wasi:sockets/udp@0.2.12;
  import wasi:sockets/ip-name-lookup@0.2.12;
  export tcp-echo: func() -> u32;
  export tcp-errors: func() -> u32;
  export tcp-flood: func() -> u32;
  export udp-echo: func() -> u32;
  export udp-unpermitted: func() -> u32;
  export lookup: func() -> u32;
  export socket-loop: func() -> u32;
  export accept-forever: func() -> u32;
  export denied: func() -> u32;
}
"#;

/// The guest. Results come back through memory at 1024 (`$ok` reads the
/// result's case, `$at N` the i32 at 1024 + N); "hello" lies at 2048,
/// "world" at 2056, "localhost" at 2064; a bump allocator serves lists.
const GUEST: &str = r#"
(module
  (type $bind (func (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)))
  (import "wasi:sockets/instance-network@0.2.12" "instance-network" (func $network (result i32)))
  (import "wasi:sockets/tcp-create-socket@0.2.12" "create-tcp-socket" (func $tcp (param i32 i32)))
  (import "wasi:sockets/tcp@0.2.12" "[method]tcp-socket.start-bind" (func $tcp_start_bind (type $bind)))
  (import "wasi:sockets/tcp@0.2.12" "[method]tcp-socket.finish-bind" (func $tcp_finish_bind (param i32 i32)))
  (import "wasi:sockets/tcp@0.2.12" "[method]tcp-socket.start-connect" (func $start_connect (type $bind)))
  (import "wasi:sockets/tcp@0.2.12" "[method]tcp-socket.finish-connect" (func $finish_connect (param i32 i32)))
  (import "wasi:sockets/tcp@0.2.12" "[method]tcp-socket.start-listen" (func $start_listen (param i32 i32)))
  (import "wasi:sockets/tcp@0.2.12" "[method]tcp-socket.finish-listen" (func $finish_listen (param i32 i32)))
  (import "wasi:sockets/tcp@0.2.12" "[method]tcp-socket.accept" (func $accept (param i32 i32)))
  (import "wasi:sockets/tcp@0.2.12" "[method]tcp-socket.local-address" (func $tcp_local (param i32 i32)))
  (import "wasi:sockets/tcp@0.2.12" "[method]tcp-socket.subscribe" (func $tcp_subscribe (param i32) (result i32)))
  (import "wasi:sockets/tcp@0.2.12" "[method]tcp-socket.shutdown" (func $shutdown (param i32 i32 i32)))
  (import "wasi:io/poll@0.2.12" "[method]pollable.block" (func $block (param i32)))
  (import "wasi:io/poll@0.2.12" "[method]pollable.ready" (func $ready (param i32) (result i32)))
  (import "wasi:io/poll@0.2.12" "[resource-drop]pollable" (func $drop_pollable (param i32)))
  (import "wasi:io/streams@0.2.12" "[method]input-stream.blocking-read" (func $read (param i32 i64 i32)))
  (import "wasi:io/streams@0.2.12" "[method]output-stream.check-write" (func $check_write (param i32 i32)))
  (import "wasi:io/streams@0.2.12" "[method]output-stream.write" (func $write (param i32 i32 i32 i32)))
  (import "wasi:io/streams@0.2.12" "[method]output-stream.blocking-write-and-flush" (func $write_flush (param i32 i32 i32 i32)))
  (import "wasi:io/streams@0.2.12" "[method]output-stream.subscribe" (func $out_subscribe (param i32) (result i32)))
  (import "wasi:sockets/udp-create-socket@0.2.12" "create-udp-socket" (func $udp (param i32 i32)))
  (import "wasi:sockets/udp@0.2.12" "[method]udp-socket.start-bind" (func $udp_start_bind (type $bind)))
  (import "wasi:sockets/udp@0.2.12" "[method]udp-socket.finish-bind" (func $udp_finish_bind (param i32 i32)))
  (import "wasi:sockets/udp@0.2.12" "[method]udp-socket.stream" (func $udp_stream (type $bind)))
  (import "wasi:sockets/udp@0.2.12" "[method]udp-socket.local-address" (func $udp_local (param i32 i32)))
  (import "wasi:sockets/udp@0.2.12" "[method]incoming-datagram-stream.receive" (func $receive (param i32 i64 i32)))
  (import "wasi:sockets/udp@0.2.12" "[method]incoming-datagram-stream.subscribe" (func $in_subscribe (param i32) (result i32)))
  (import "wasi:sockets/udp@0.2.12" "[method]outgoing-datagram-stream.check-send" (func $check_send (param i32 i32)))
  (import "wasi:sockets/udp@0.2.12" "[method]outgoing-datagram-stream.send" (func $send (param i32 i32 i32 i32)))
  (import "wasi:sockets/ip-name-lookup@0.2.12" "resolve-addresses" (func $resolve (param i32 i32 i32 i32)))
  (import "wasi:sockets/ip-name-lookup@0.2.12" "[method]resolve-address-stream.resolve-next-address" (func $next_address (param i32 i32)))
  (import "wasi:sockets/ip-name-lookup@0.2.12" "[method]resolve-address-stream.subscribe" (func $lookup_subscribe (param i32) (result i32)))

  (memory (export "memory") 2)
  (data (i32.const 2048) "hello\00\00\00world\00\00\00localhost")
  (global $heap (mut i32) (i32.const 16384))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and
      (i32.add (global.get $heap) (i32.sub (local.get 2) (i32.const 1)))
      (i32.sub (i32.const 0) (local.get 2))))
    (global.set $heap (i32.add (local.get $p) (local.get 3)))
    (local.get $p))

  (func $ok (result i32) (i32.eqz (i32.load8_u (i32.const 1024))))
  (func $at (param i32) (result i32) (i32.load (i32.add (i32.const 1024) (local.get 0))))
  ;; The error code of a result whose ok case is a handle or tuple of them.
  (func $code (result i32) (i32.load8_u (i32.const 1028)))
  ;; The error code of a `result<_, error-code>`.
  (func $code1 (result i32) (i32.load8_u (i32.const 1025)))
  (func $wait (param $p i32) (call $block (local.get $p)) (call $drop_pollable (local.get $p)))

  ;; A bound TCP or UDP socket (127.0.0.1, any port; tcp when $tcp), or 0.
  (func $bound (param $net i32) (param $is_tcp i32) (result i32)
    (local $s i32)
    (if (local.get $is_tcp)
      (then (call $tcp (i32.const 0) (i32.const 1024)))
      (else (call $udp (i32.const 0) (i32.const 1024))))
    (if (i32.eqz (call $ok)) (then (return (i32.const 0))))
    (local.set $s (call $at (i32.const 4)))
    (if (local.get $is_tcp)
      (then
        (call $tcp_start_bind (local.get $s) (local.get $net)
          (i32.const 0) (i32.const 0) (i32.const 127) (i32.const 0) (i32.const 0) (i32.const 1)
          (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
          (i32.const 1024))
        (if (i32.eqz (call $ok)) (then (return (i32.const 0))))
        (call $tcp_finish_bind (local.get $s) (i32.const 1024)))
      (else
        (call $udp_start_bind (local.get $s) (local.get $net)
          (i32.const 0) (i32.const 0) (i32.const 127) (i32.const 0) (i32.const 0) (i32.const 1)
          (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
          (i32.const 1024))
        (if (i32.eqz (call $ok)) (then (return (i32.const 0))))
        (call $udp_finish_bind (local.get $s) (i32.const 1024))))
    (if (i32.eqz (call $ok)) (then (return (i32.const 0))))
    (local.get $s))

  ;; The port a socket is bound to (ipv4: the record after the cases).
  (func $port (param $s i32) (param $is_tcp i32) (result i32)
    (if (local.get $is_tcp)
      (then (call $tcp_local (local.get $s) (i32.const 1024)))
      (else (call $udp_local (local.get $s) (i32.const 1024))))
    (if (i32.eqz (call $ok)) (then (return (i32.const 0))))
    (i32.load16_u (i32.const 1032)))

  ;; start-connect to 127.0.0.1:$port, then finish-connect, waiting on the
  ;; socket's pollable while it says would-block. Leaves the result at 1024.
  (func $connect (param $c i32) (param $net i32) (param $port i32)
    (call $start_connect (local.get $c) (local.get $net)
      (i32.const 0) (local.get $port) (i32.const 127) (i32.const 0) (i32.const 0) (i32.const 1)
      (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
      (i32.const 1024))
    (if (i32.eqz (call $ok)) (then (return)))
    (loop $again
      (call $finish_connect (local.get $c) (i32.const 1024))
      (if (i32.and (i32.eqz (call $ok)) (i32.eq (call $code) (i32.const 8)))
        (then (call $wait (call $tcp_subscribe (local.get $c))) (br $again)))))

  ;; A listener on loopback; 0 on failure.
  (func $listener (param $net i32) (result i32)
    (local $l i32)
    (local.set $l (call $bound (local.get $net) (i32.const 1)))
    (if (i32.eqz (local.get $l)) (then (return (i32.const 0))))
    (call $start_listen (local.get $l) (i32.const 1024))
    (if (i32.eqz (call $ok)) (then (return (i32.const 0))))
    (call $finish_listen (local.get $l) (i32.const 1024))
    (if (i32.eqz (call $ok)) (then (return (i32.const 0))))
    (local.get $l))

  ;; accept, waiting while it says would-block. Leaves the result at 1024.
  (func $accept_wait (param $l i32)
    (loop $again
      (call $accept (local.get $l) (i32.const 1024))
      (if (i32.and (i32.eqz (call $ok)) (i32.eq (call $code) (i32.const 8)))
        (then (call $wait (call $tcp_subscribe (local.get $l))) (br $again)))))

  ;; Whether the 5 bytes of a read result (list at 1028/1032) equal those at $want.
  (func $got5 (param $want i32) (result i32)
    (local $p i32)
    (if (i32.eqz (call $ok)) (then (return (i32.const 0))))
    (if (i32.ne (call $at (i32.const 8)) (i32.const 5)) (then (return (i32.const 0))))
    (local.set $p (call $at (i32.const 4)))
    (i32.and
      (i32.eq (i32.load (local.get $p)) (i32.load (local.get $want)))
      (i32.eq (i32.load8_u offset=4 (local.get $p)) (i32.load8_u offset=4 (local.get $want)))))

  (func (export "tcp-echo") (result i32)
    (local $net i32) (local $l i32) (local $c i32)
    (local $cin i32) (local $cout i32) (local $sin i32) (local $sout i32)
    (local.set $net (call $network))
    (local.set $l (call $listener (local.get $net)))
    (if (i32.eqz (local.get $l)) (then (return (i32.const 1))))
    (call $tcp (i32.const 0) (i32.const 1024))
    (if (i32.eqz (call $ok)) (then (return (i32.const 2))))
    (local.set $c (call $at (i32.const 4)))
    (call $connect (local.get $c) (local.get $net) (call $port (local.get $l) (i32.const 1)))
    (if (i32.eqz (call $ok)) (then (return (i32.const 3))))
    (local.set $cin (call $at (i32.const 4)))
    (local.set $cout (call $at (i32.const 8)))
    (call $accept_wait (local.get $l))
    (if (i32.eqz (call $ok)) (then (return (i32.const 4))))
    (local.set $sin (call $at (i32.const 8)))
    (local.set $sout (call $at (i32.const 12)))
    ;; client -> server
    (call $write_flush (local.get $cout) (i32.const 2048) (i32.const 5) (i32.const 1024))
    (if (i32.eqz (call $ok)) (then (return (i32.const 5))))
    (call $read (local.get $sin) (i64.const 64) (i32.const 1024))
    (if (i32.eqz (call $got5 (i32.const 2048))) (then (return (i32.const 6))))
    ;; server -> client
    (call $write_flush (local.get $sout) (i32.const 2056) (i32.const 5) (i32.const 1024))
    (if (i32.eqz (call $ok)) (then (return (i32.const 7))))
    (call $read (local.get $cin) (i64.const 64) (i32.const 1024))
    (if (i32.eqz (call $got5 (i32.const 2056))) (then (return (i32.const 8))))
    ;; the client shuts its sending side: the server reads `closed`.
    (call $shutdown (local.get $c) (i32.const 1) (i32.const 1024))
    (if (i32.eqz (call $ok)) (then (return (i32.const 9))))
    (call $read (local.get $sin) (i64.const 64) (i32.const 1024))
    (if (call $ok) (then (return (i32.const 10))))
    (if (i32.ne (call $code) (i32.const 1)) (then (return (i32.const 11))))
    (i32.const 0))

  (func (export "tcp-errors") (result i32)
    (local $net i32) (local $s i32) (local $c i32) (local $port i32)
    (local.set $net (call $network))
    (call $tcp (i32.const 0) (i32.const 1024))
    (local.set $s (call $at (i32.const 4)))
    ;; finish-bind without start-bind: not-in-progress
    (call $tcp_finish_bind (local.get $s) (i32.const 1024))
    (if (i32.or (call $ok) (i32.ne (call $code1) (i32.const 7))) (then (return (i32.const 1))))
    ;; listen while unbound: invalid-state (0.2 binds nothing implicitly)
    (call $start_listen (local.get $s) (i32.const 1024))
    (if (i32.or (call $ok) (i32.ne (call $code1) (i32.const 9))) (then (return (i32.const 2))))
    ;; connect to port 0: invalid-argument
    (call $start_connect (local.get $s) (local.get $net)
      (i32.const 0) (i32.const 0) (i32.const 127) (i32.const 0) (i32.const 0) (i32.const 1)
      (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
      (i32.const 1024))
    (if (i32.or (call $ok) (i32.ne (call $code1) (i32.const 3))) (then (return (i32.const 3))))
    ;; a bound port nobody listens on refuses the connection
    (local.set $s (call $bound (local.get $net) (i32.const 1)))
    (if (i32.eqz (local.get $s)) (then (return (i32.const 4))))
    (local.set $port (call $port (local.get $s) (i32.const 1)))
    (call $tcp (i32.const 0) (i32.const 1024))
    (local.set $c (call $at (i32.const 4)))
    (call $connect (local.get $c) (local.get $net) (local.get $port))
    (if (i32.or (call $ok) (i32.ne (call $code) (i32.const 14))) (then (return (i32.const 5))))
    ;; a failed connect closes the socket for good: invalid-state
    (call $connect (local.get $c) (local.get $net) (local.get $port))
    (if (i32.or (call $ok) (i32.ne (call $code1) (i32.const 9))) (then (return (i32.const 6))))
    ;; finish-connect with no connect started: not-in-progress
    (call $finish_connect (local.get $s) (i32.const 1024))
    (if (i32.or (call $ok) (i32.ne (call $code) (i32.const 7))) (then (return (i32.const 7))))
    (i32.const 0))

  ;; The client writes what check-write permits while the server never
  ;; reads: the permit falls to 0 and the stream's pollable is not ready.
  (func (export "tcp-flood") (result i32)
    (local $net i32) (local $l i32) (local $c i32) (local $cout i32) (local $room i32) (local $rounds i32)
    (local $p i32)
    (local.set $net (call $network))
    (local.set $l (call $listener (local.get $net)))
    (call $tcp (i32.const 0) (i32.const 1024))
    (local.set $c (call $at (i32.const 4)))
    (call $connect (local.get $c) (local.get $net) (call $port (local.get $l) (i32.const 1)))
    (if (i32.eqz (call $ok)) (then (return (i32.const 1))))
    (local.set $cout (call $at (i32.const 8)))
    (call $accept_wait (local.get $l))
    (if (i32.eqz (call $ok)) (then (return (i32.const 2))))
    (loop $more
      (call $check_write (local.get $cout) (i32.const 1024))
      (if (i32.eqz (call $ok)) (then (return (i32.const 3))))
      (local.set $room (i32.wrap_i64 (i64.load (i32.const 1032))))
      (if (local.get $room)
        (then
          (if (i32.gt_u (local.get $room) (i32.const 65536)) (then (local.set $room (i32.const 65536))))
          (call $write (local.get $cout) (i32.const 0) (local.get $room) (i32.const 1024))
          (if (i32.eqz (call $ok)) (then (return (i32.const 4))))
          (local.set $rounds (i32.add (local.get $rounds) (i32.const 1)))
          ;; 64 MiB at the very least would have been written by now
          (if (i32.gt_u (local.get $rounds) (i32.const 100000)) (then (return (i32.const 5))))
          (br $more))))
    (local.set $p (call $out_subscribe (local.get $cout)))
    (if (call $ready (local.get $p)) (then (return (i32.const 6))))
    (call $drop_pollable (local.get $p))
    (i32.const 0))

  (func (export "udp-echo") (result i32)
    (local $net i32) (local $a i32) (local $b i32) (local $pa i32) (local $pb i32)
    (local $aout i32) (local $bin i32) (local $d i32)
    (local.set $net (call $network))
    (local.set $a (call $bound (local.get $net) (i32.const 0)))
    (local.set $b (call $bound (local.get $net) (i32.const 0)))
    (if (i32.or (i32.eqz (local.get $a)) (i32.eqz (local.get $b))) (then (return (i32.const 1))))
    (local.set $pa (call $port (local.get $a) (i32.const 0)))
    (local.set $pb (call $port (local.get $b) (i32.const 0)))
    (call $udp_stream (local.get $a) (i32.const 0)
      (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
      (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
      (i32.const 1024))
    (if (i32.eqz (call $ok)) (then (return (i32.const 2))))
    (local.set $aout (call $at (i32.const 8)))
    (call $udp_stream (local.get $b) (i32.const 0)
      (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
      (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
      (i32.const 1024))
    (if (i32.eqz (call $ok)) (then (return (i32.const 3))))
    (local.set $bin (call $at (i32.const 4)))
    ;; the datagram: "hello" to 127.0.0.1:$pb, at 3072
    (i32.store (i32.const 3072) (i32.const 2048))
    (i32.store (i32.const 3076) (i32.const 5))
    (i32.store8 (i32.const 3080) (i32.const 1))
    (i32.store8 (i32.const 3084) (i32.const 0))
    (i32.store16 (i32.const 3088) (local.get $pb))
    (i32.store (i32.const 3090) (i32.const 0x0100007f))
    (call $check_send (local.get $aout) (i32.const 1024))
    (if (i32.or (i32.eqz (call $ok)) (i64.eqz (i64.load (i32.const 1032)))) (then (return (i32.const 4))))
    (call $send (local.get $aout) (i32.const 3072) (i32.const 1) (i32.const 1024))
    (if (i32.or (i32.eqz (call $ok)) (i64.ne (i64.load (i32.const 1032)) (i64.const 1))) (then (return (i32.const 5))))
    (call $wait (call $in_subscribe (local.get $bin)))
    (call $receive (local.get $bin) (i64.const 4) (i32.const 1024))
    (if (i32.eqz (call $ok)) (then (return (i32.const 6))))
    (if (i32.ne (call $at (i32.const 8)) (i32.const 1)) (then (return (i32.const 7))))
    (local.set $d (call $at (i32.const 4)))
    ;; data "hello", from a's port
    (if (i32.ne (i32.load offset=4 (local.get $d)) (i32.const 5)) (then (return (i32.const 8))))
    (if (i32.ne (i32.load (i32.load (local.get $d))) (i32.load (i32.const 2048))) (then (return (i32.const 9))))
    (if (i32.ne (i32.load16_u offset=12 (local.get $d)) (local.get $pa)) (then (return (i32.const 10))))
    ;; an unconnected stream needs an address: invalid-argument (each
    ;; send needs a check-send of its own)
    (i32.store8 (i32.const 3080) (i32.const 0))
    (call $check_send (local.get $aout) (i32.const 1024))
    (call $send (local.get $aout) (i32.const 3072) (i32.const 1) (i32.const 1024))
    (if (i32.or (call $ok) (i32.ne (i32.load8_u (i32.const 1032)) (i32.const 3))) (then (return (i32.const 11))))
    (i32.const 0))

  ;; a second send on one check-send: a trap (sockets.wit)
  (func (export "udp-unpermitted") (result i32)
    (local $net i32) (local $a i32) (local $out i32)
    (local.set $net (call $network))
    (local.set $a (call $bound (local.get $net) (i32.const 0)))
    (call $udp_stream (local.get $a) (i32.const 0)
      (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
      (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
      (i32.const 1024))
    (local.set $out (call $at (i32.const 8)))
    ;; "hello" to itself
    (i32.store (i32.const 3072) (i32.const 2048))
    (i32.store (i32.const 3076) (i32.const 5))
    (i32.store8 (i32.const 3080) (i32.const 1))
    (i32.store8 (i32.const 3084) (i32.const 0))
    (i32.store16 (i32.const 3088) (call $port (local.get $a) (i32.const 0)))
    (i32.store (i32.const 3090) (i32.const 0x0100007f))
    (call $check_send (local.get $out) (i32.const 1024))
    (call $send (local.get $out) (i32.const 3072) (i32.const 1) (i32.const 1024))
    (if (i32.eqz (call $ok)) (then (return (i32.const 1))))
    (call $send (local.get $out) (i32.const 3072) (i32.const 1) (i32.const 1024))
    (i32.const 2))

  ;; "localhost" resolves (on the resolver's thread) to some address.
  (func (export "lookup") (result i32)
    (local $s i32)
    (call $resolve (call $network) (i32.const 2064) (i32.const 9) (i32.const 1024))
    (if (i32.eqz (call $ok)) (then (return (i32.const 1))))
    (local.set $s (call $at (i32.const 4)))
    (loop $again
      (call $next_address (local.get $s) (i32.const 1024))
      ;; err would-block (the code sits at 1026, after the case byte)
      (if (i32.and (i32.eqz (call $ok)) (i32.eq (i32.load8_u (i32.const 1026)) (i32.const 8)))
        (then (call $wait (call $lookup_subscribe (local.get $s))) (br $again))))
    (if (i32.eqz (call $ok)) (then (return (i32.const 2))))
    ;; some(address)
    (if (i32.eqz (i32.load8_u (i32.const 1026))) (then (return (i32.const 3))))
    (i32.const 0))

  ;; A guest opening sockets in a loop meets the run's budget (256): a
  ;; clean new-socket-limit, never a host failure.
  (func (export "socket-loop") (result i32)
    (local $n i32)
    (loop $more
      (call $tcp (i32.const 0) (i32.const 1024))
      (if (call $ok)
        (then
          (local.set $n (i32.add (local.get $n) (i32.const 1)))
          (if (i32.gt_u (local.get $n) (i32.const 10000)) (then (return (i32.const 1))))
          (br $more))))
    (if (i32.ne (call $code) (i32.const 10)) (then (return (i32.const 2))))
    (if (i32.ne (local.get $n) (i32.const 256)) (then (return (i32.const 3))))
    (i32.const 0))

  ;; Waits on an accept nobody will make: only the run's stop ends it.
  (func (export "accept-forever") (result i32)
    (local $l i32)
    (local.set $l (call $listener (call $network)))
    (if (i32.eqz (local.get $l)) (then (return (i32.const 1))))
    (call $wait (call $tcp_subscribe (local.get $l)))
    (i32.const 2))

  ;; Without the network grant: access-denied.
  (func (export "denied") (result i32)
    (call $tcp (i32.const 0) (i32.const 1024))
    (if (i32.or (call $ok) (i32.ne (call $code) (i32.const 1))) (then (return (i32.const 1))))
    (i32.const 0))
)
"#;

/// The guest as a component (core module + WIT world, by wit-component).
fn guest() -> Vec<u8> {
    let mut resolve = wit_parser::Resolve::default();
    resolve.push_source("io.wit", WIT_IO).expect("io WIT");
    resolve
        .push_source("sockets.wit", WIT_SOCKETS)
        .expect("sockets WIT");
    let pkg = resolve.push_source("test.wit", WIT_TEST).expect("test WIT");
    let world = resolve.select_world(&[pkg], None).expect("world");
    let mut core = wat::parse_str(GUEST).expect("guest WAT");
    wit_component::embed_component_metadata(
        &mut core,
        &resolve,
        world,
        wit_component::StringEncoding::UTF8,
        false,
    )
    .expect("embeds the world");
    wit_component::ComponentEncoder::default()
        .module(&core)
        .and_then(|e| e.validate(true).encode())
        .expect("encodes the component")
}

/// Calls the guest's export `name` on the reference VM with the network
/// granted or not: its step number, or the trap.
fn call(name: &str, network: bool) -> Result<u32, String> {
    call_with(name, WasiCtx::builder().allow_network(network).build())
}

fn call_with(name: &str, ctx: WasiCtx) -> Result<u32, String> {
    let f = Features::default();
    let c = decode_component(&guest(), &f).expect("decodes");
    validate_component(&c, &f).expect("validates");
    let mut rt = Runtime::new(Config::default());
    link_component(&mut rt, Arc::new(Mutex::new(ctx)));
    let i = rt.instantiate(&Arc::new(c)).expect("instantiates");
    match rt.invoke(i, name, &[]) {
        Ok(v) => match v.first() {
            Some(Value::U32(step)) => Ok(*step),
            other => panic!("{name} returned {other:?}"),
        },
        Err(t) => Err(t.to_string()),
    }
}

#[test]
fn tcp_connects_accepts_and_carries_bytes_both_ways() {
    assert_eq!(call("tcp-echo", true), Ok(0));
}

#[test]
fn tcp_state_machine_errors_are_the_wit_codes() {
    assert_eq!(call("tcp-errors", true), Ok(0));
}

#[test]
fn a_guest_flooding_a_peer_that_never_reads_is_held_at_check_write() {
    assert_eq!(call("tcp-flood", true), Ok(0));
}

#[test]
fn udp_datagrams_go_and_come_with_their_addresses() {
    assert_eq!(call("udp-echo", true), Ok(0));
}

#[test]
fn sending_without_a_check_send_of_its_own_traps() {
    let r = call("udp-unpermitted", true);
    assert!(
        matches!(&r, Err(m) if m.contains("exceeds the 0 permitted")),
        "{r:?}"
    );
}

#[test]
fn names_resolve_without_blocking_the_guest() {
    assert_eq!(call("lookup", true), Ok(0));
}

#[test]
fn a_guest_opening_sockets_in_a_loop_meets_the_budget() {
    assert_eq!(call("socket-loop", true), Ok(0));
}

#[test]
fn sockets_are_denied_without_the_network_grant() {
    assert_eq!(call("denied", false), Ok(0));
}

#[test]
fn a_guest_waiting_on_the_network_forever_ends_at_the_stop_request() {
    let ctx = WasiCtx::builder().allow_network(true).build();
    let stop = ctx.interrupt_handle();
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(200));
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
    });
    let r = call_with("accept-forever", ctx);
    stopper.join().unwrap();
    assert!(matches!(&r, Err(m) if m.contains("interrupt")), "{r:?}");
}
