;; The sandbox probe: a WASI preview1 command that runs a small script given
;; as arguments and checks what the host did.
;;
;;   probe OP EXPECT OPERANDS... [; OP EXPECT OPERANDS...]...
;;
;; EXPECT is `ok` (the call must succeed), `err` (it must fail with some
;; errno) or `any` (only survival counts). Each step prints
;; `OP errno N` and, when the expectation is not met, ` UNSAFE` (an `err`
;; step succeeded) or ` FAILED` (an `ok` step failed). The exit
;; status is 0 when every step met its expectation, 1 otherwise. Paths are
;; relative to fd 3 (the first preopen); `$fd` below is the last fd opened.
;;
;; OP and operands:
;;   open PATH FOLLOW(0|1) OFLAGS RIGHTS(r|w|all|none)   path_open on fd 3, sets $fd
;;   mkdir PATH | rmdir PATH | unlink PATH | readlink PATH
;;   stat PATH FOLLOW | settimes PATH
;;   symlink TARGET LINK | rename OLD NEW | link OLD NEW
;;   droprights                      fd 3 keeps only read/lookup rights
;;   regain                          fd 3 asks for every right back
;;   write | read | allocate | setsize | fdsettimes | readdir   on $fd
;;   renumber FROM TO | close FD | fdstat FD                   (numbers)
;;   chain N                         mkdir t; c1 -> t, cI -> c(I-1); open cN (follow, directory)
;;   loop                            la -> lb, lb -> la; open la (follow)
;;   nul | badutf8 | longname | longpath   path_open with such a path
;;   rawpath PTR LEN                 path_open with a raw pointer and length
;;   iov BUF LEN                     fd_write(1) of one iovec {BUF, LEN}
;;   iovs PTR COUNT                  fd_write(1) with COUNT iovecs at PTR
;;   readinto BUF LEN                fd_read(0) into {BUF, LEN}
;;   random PTR LEN | argsget PTR | pollsubs N
;;   exhaust N                       opens "." up to N times; the result is the first error
;;   bigwrite MIB                    writes MIB mebibytes to stdout
(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_renumber" (func $fd_renumber (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_fdstat_get" (func $fd_fdstat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_fdstat_set_rights" (func $fd_fdstat_set_rights (param i32 i64 i64) (result i32)))
  (import "wasi_snapshot_preview1" "fd_allocate" (func $fd_allocate (param i32 i64 i64) (result i32)))
  (import "wasi_snapshot_preview1" "fd_filestat_set_size" (func $fd_filestat_set_size (param i32 i64) (result i32)))
  (import "wasi_snapshot_preview1" "fd_filestat_set_times" (func $fd_filestat_set_times (param i32 i64 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_readdir" (func $fd_readdir (param i32 i32 i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_create_directory" (func $path_create_directory (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_remove_directory" (func $path_remove_directory (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_unlink_file" (func $path_unlink_file (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_readlink" (func $path_readlink (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_filestat_get" (func $path_filestat_get (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_filestat_set_times" (func $path_filestat_set_times (param i32 i32 i32 i32 i64 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_symlink" (func $path_symlink (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_rename" (func $path_rename (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_link" (func $path_link (param i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))

  ;; 0..256 call scratch; 256..512 output line; 512..1024 literals;
  ;; 1024..4096 names; 4096..8192 argv pointers; 8192..73728 argv bytes;
  ;; 1 MiB..2 MiB big buffer (long paths, bigwrite).
  (memory (export "memory") 40)
  (global $fd (mut i32) (i32.const 3))
  (global $unsafe (mut i32) (i32.const 0))
  (global $out (mut i32) (i32.const 256))

  (data (i32.const 512) "open\00mkdir\00rmdir\00unlink\00readlink\00stat\00settimes\00symlink\00rename\00link\00")
  ;; offsets: open 512, mkdir 517, rmdir 523, unlink 529, readlink 536, stat 545,
  ;; settimes 550, symlink 559, rename 567, link 574
  (data (i32.const 600) "droprights\00regain\00write\00read\00allocate\00setsize\00fdsettimes\00readdir\00")
  ;; droprights 600, regain 611, write 618, read 624, allocate 629, setsize 638,
  ;; fdsettimes 646, readdir 657
  (data (i32.const 700) "renumber\00close\00fdstat\00chain\00loop\00nul\00badutf8\00longname\00longpath\00")
  ;; renumber 700, close 709, fdstat 715, chain 722, loop 728, nul 733,
  ;; badutf8 737, longname 745, longpath 754
  (data (i32.const 800) "rawpath\00iov\00iovs\00readinto\00random\00argsget\00pollsubs\00exhaust\00bigwrite\00")
  ;; rawpath 800, iov 808, iovs 812, readinto 817, random 826, argsget 833,
  ;; pollsubs 841, exhaust 850, bigwrite 858
  (data (i32.const 900) "ok\00err\00any\00;\00r\00w\00all\00none\00")
  ;; ok 900, err 903, any 907, ";" 911, r 913, w 915, all 917, none 921
  (data (i32.const 930) " errno \00 UNSAFE\00 unknown op\00a\00b\00\ff\fe\00")
  ;; " errno " 930, " UNSAFE" 938, " unknown op" 946, "a\0b" 958 (3 bytes), "\ff\fe" 962
  (data (i32.const 970) "la\00lb\00t\00.\00x")
  ;; la 970, lb 973, t 976, "." 978, "x" 980
  (data (i32.const 984) " FAILED\00")

  (func $strlen (param $p i32) (result i32)
    (local $n i32)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $n)))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $l)))
    (local.get $n))

  (func $streq (param $a i32) (param $b i32) (result i32)
    (local $ca i32)
    (loop $l
      (local.set $ca (i32.load8_u (local.get $a)))
      (if (i32.ne (local.get $ca) (i32.load8_u (local.get $b))) (then (return (i32.const 0))))
      (if (i32.eqz (local.get $ca)) (then (return (i32.const 1))))
      (local.set $a (i32.add (local.get $a) (i32.const 1)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $l))
    (i32.const 0))

  (func $atoi (param $p i32) (result i64)
    (local $v i64) (local $c i32)
    (block $done
      (loop $l
        (local.set $c (i32.load8_u (local.get $p)))
        (br_if $done (i32.lt_u (i32.sub (local.get $c) (i32.const 48)) (i32.const 0)))
        (br_if $done (i32.gt_u (i32.sub (local.get $c) (i32.const 48)) (i32.const 9)))
        (local.set $v (i64.add (i64.mul (local.get $v) (i64.const 10))
                               (i64.extend_i32_u (i32.sub (local.get $c) (i32.const 48)))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $l)))
    (local.get $v))

  ;; Appends bytes to the output line.
  (func $put (param $p i32) (param $n i32)
    (memory.copy (global.get $out) (local.get $p) (local.get $n))
    (global.set $out (i32.add (global.get $out) (local.get $n))))

  (func $putz (param $p i32) (call $put (local.get $p) (call $strlen (local.get $p))))

  (func $putnum (param $v i32)
    (local $buf i32) (local $n i32)
    (local.set $buf (i32.const 250))
    (loop $l
      (local.set $buf (i32.sub (local.get $buf) (i32.const 1)))
      (i32.store8 (local.get $buf) (i32.add (i32.const 48) (i32.rem_u (local.get $v) (i32.const 10))))
      (local.set $v (i32.div_u (local.get $v) (i32.const 10)))
      (br_if $l (local.get $v)))
    (call $put (local.get $buf) (i32.sub (i32.const 250) (local.get $buf))))

  (func $flush
    (i32.store8 (global.get $out) (i32.const 10))
    (i32.store (i32.const 0) (i32.const 256))
    (i32.store (i32.const 4) (i32.sub (i32.add (global.get $out) (i32.const 1)) (i32.const 256)))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (global.set $out (i32.const 256)))

  ;; Reports a step: OP errno N [UNSAFE].
  (func $check (param $op i32) (param $expect i32) (param $errno i32)
    (call $putz (local.get $op))
    (call $putz (i32.const 930))
    (call $putnum (local.get $errno))
    ;; `ok` that failed: FAILED (over-restrictive or broken); `err` that
    ;; succeeded: UNSAFE (the host allowed what it must refuse).
    (if (call $streq (local.get $expect) (i32.const 900))
      (then (if (local.get $errno)
        (then (call $putz (i32.const 984)) (global.set $unsafe (i32.const 1))))))
    (if (call $streq (local.get $expect) (i32.const 903))
      (then (if (i32.eqz (local.get $errno))
        (then (call $putz (i32.const 938)) (global.set $unsafe (i32.const 1))))))
    (call $flush))

  (func $arg (param $i i32) (result i32)
    (i32.load (i32.add (i32.const 4096) (i32.shl (local.get $i) (i32.const 2)))))

  (func $num (param $i i32) (result i32) (i32.wrap_i64 (call $atoi (call $arg (local.get $i)))))

  (func $rights (param $p i32) (result i64)
    (if (call $streq (local.get $p) (i32.const 913)) (then (return (i64.const 0x20002e))))
    (if (call $streq (local.get $p) (i32.const 915)) (then (return (i64.const 0x4000e0))))
    (if (call $streq (local.get $p) (i32.const 917)) (then (return (i64.const 0x1fffffff))))
    (i64.const 0))

  (func $open (param $path i32) (param $len i32) (param $follow i32) (param $oflags i32) (param $rights i64) (result i32)
    (local $e i32)
    (local.set $e (call $path_open (i32.const 3) (local.get $follow) (local.get $path) (local.get $len)
      (local.get $oflags) (local.get $rights) (local.get $rights) (i32.const 0) (i32.const 16)))
    (if (i32.eqz (local.get $e)) (then (global.set $fd (i32.load (i32.const 16)))))
    (local.get $e))

  ;; Writes "c<N>" at 1024; returns its length.
  (func $cname (param $n i32) (result i32)
    (global.set $out (i32.const 1025))
    (call $putnum (local.get $n))
    (i32.store8 (i32.const 1024) (i32.const 99))
    (local.set $n (i32.sub (global.get $out) (i32.const 1024)))
    (global.set $out (i32.const 256))
    (local.get $n))

  (func $chain (param $n i32) (result i32)
    (local $i i32) (local $len i32) (local $e i32)
    (drop (call $path_create_directory (i32.const 3) (i32.const 976) (i32.const 1)))
    ;; c1 -> t
    (local.set $len (call $cname (i32.const 1)))
    (local.set $e (call $path_symlink (i32.const 976) (i32.const 1) (i32.const 3) (i32.const 1024) (local.get $len)))
    (if (local.get $e) (then (return (local.get $e))))
    (local.set $i (i32.const 2))
    (block $done
      (loop $l
        (br_if $done (i32.gt_u (local.get $i) (local.get $n)))
        ;; target c(i-1) at 1100, link ci at 1024
        (local.set $len (call $cname (i32.sub (local.get $i) (i32.const 1))))
        (memory.copy (i32.const 1100) (i32.const 1024) (local.get $len))
        (local.set $e (call $path_symlink (i32.const 1100) (local.get $len) (i32.const 3)
          (i32.const 1024) (call $cname (local.get $i))))
        (if (local.get $e) (then (return (local.get $e))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.set $len (call $cname (local.get $n)))
    (call $open (i32.const 1024) (local.get $len) (i32.const 1) (i32.const 2) (i64.const 0x4000)))

  (func $exhaust (param $n i32) (result i32)
    (local $i i32) (local $e i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $e (call $path_open (i32.const 3) (i32.const 0) (i32.const 978) (i32.const 1)
          (i32.const 2) (i64.const 0) (i64.const 0) (i32.const 0) (i32.const 16)))
        (br_if $done (local.get $e))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $e))

  (func $bigwrite (param $mib i32) (result i32)
    (local $i i32) (local $e i32)
    (memory.fill (i32.const 0x100000) (i32.const 46) (i32.const 0x100000))
    (i32.store (i32.const 32) (i32.const 0x100000))
    (i32.store (i32.const 36) (i32.const 0x100000))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $mib)))
        (local.set $e (call $fd_write (i32.const 1) (i32.const 32) (i32.const 1) (i32.const 40)))
        (br_if $done (local.get $e))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $e))

  (func $pollsubs (param $n i32) (result i32)
    ;; One fd_write subscription on stdout at 1 MiB, output after it; the
    ;; count claims N subscriptions.
    (memory.fill (i32.const 0x100000) (i32.const 0) (i32.const 96))
    (i32.store8 (i32.const 0x100008) (i32.const 2))
    (i32.store (i32.const 0x100010) (i32.const 1))
    (call $poll_oneoff (i32.const 0x100000) (i32.const 0x100040) (local.get $n) (i32.const 48)))

  ;; Runs the step at argv[i]; returns the index after its operands.
  (func $step (param $i i32) (result i32)
    (local $op i32) (local $ex i32) (local $a i32) (local $b i32) (local $e i32) (local $n i32)
    (local.set $op (call $arg (local.get $i)))
    (local.set $ex (call $arg (i32.add (local.get $i) (i32.const 1))))
    (local.set $a (call $arg (i32.add (local.get $i) (i32.const 2))))
    (local.set $b (call $arg (i32.add (local.get $i) (i32.const 3))))
    (local.set $n (i32.const 2))
    (block $known
      (if (call $streq (local.get $op) (i32.const 512)) (then
        (local.set $e (call $open (local.get $a) (call $strlen (local.get $a))
          (call $num (i32.add (local.get $i) (i32.const 3)))
          (call $num (i32.add (local.get $i) (i32.const 4)))
          (call $rights (call $arg (i32.add (local.get $i) (i32.const 5))))))
        (local.set $n (i32.const 6)) (br $known)))
      (if (call $streq (local.get $op) (i32.const 517)) (then
        (local.set $e (call $path_create_directory (i32.const 3) (local.get $a) (call $strlen (local.get $a))))
        (local.set $n (i32.const 3)) (br $known)))
      (if (call $streq (local.get $op) (i32.const 523)) (then
        (local.set $e (call $path_remove_directory (i32.const 3) (local.get $a) (call $strlen (local.get $a))))
        (local.set $n (i32.const 3)) (br $known)))
      (if (call $streq (local.get $op) (i32.const 529)) (then
        (local.set $e (call $path_unlink_file (i32.const 3) (local.get $a) (call $strlen (local.get $a))))
        (local.set $n (i32.const 3)) (br $known)))
      (if (call $streq (local.get $op) (i32.const 536)) (then
        (local.set $e (call $path_readlink (i32.const 3) (local.get $a) (call $strlen (local.get $a))
          (i32.const 1024) (i32.const 64) (i32.const 16)))
        (local.set $n (i32.const 3)) (br $known)))
      (if (call $streq (local.get $op) (i32.const 545)) (then
        (local.set $e (call $path_filestat_get (i32.const 3) (call $num (i32.add (local.get $i) (i32.const 3)))
          (local.get $a) (call $strlen (local.get $a)) (i32.const 64)))
        (local.set $n (i32.const 4)) (br $known)))
      (if (call $streq (local.get $op) (i32.const 550)) (then
        (local.set $e (call $path_filestat_set_times (i32.const 3) (i32.const 0) (local.get $a) (call $strlen (local.get $a))
          (i64.const 1000000000) (i64.const 1000000000) (i32.const 5)))
        (local.set $n (i32.const 3)) (br $known)))
      (if (call $streq (local.get $op) (i32.const 559)) (then
        (local.set $e (call $path_symlink (local.get $a) (call $strlen (local.get $a)) (i32.const 3)
          (local.get $b) (call $strlen (local.get $b))))
        (local.set $n (i32.const 4)) (br $known)))
      (if (call $streq (local.get $op) (i32.const 567)) (then
        (local.set $e (call $path_rename (i32.const 3) (local.get $a) (call $strlen (local.get $a)) (i32.const 3)
          (local.get $b) (call $strlen (local.get $b))))
        (local.set $n (i32.const 4)) (br $known)))
      (if (call $streq (local.get $op) (i32.const 574)) (then
        (local.set $e (call $path_link (i32.const 3) (i32.const 0) (local.get $a) (call $strlen (local.get $a)) (i32.const 3)
          (local.get $b) (call $strlen (local.get $b))))
        (local.set $n (i32.const 4)) (br $known)))
      (if (call $streq (local.get $op) (i32.const 600)) (then
        ;; base: path_open | fd_readdir | path_readlink | path_filestat_get | fd_filestat_get
        ;; inheriting: fd_read | fd_seek | fd_tell | fd_filestat_get and the same lookups
        (local.set $e (call $fd_fdstat_set_rights (i32.const 3) (i64.const 0x24e000) (i64.const 0x24e026)))
        (br $known)))
      (if (call $streq (local.get $op) (i32.const 611)) (then
        (local.set $e (call $fd_fdstat_set_rights (i32.const 3) (i64.const 0x1fffffff) (i64.const 0x1fffffff)))
        (br $known)))
      (if (call $streq (local.get $op) (i32.const 618)) (then
        (i32.store (i32.const 32) (i32.const 980))
        (i32.store (i32.const 36) (i32.const 1))
        (local.set $e (call $fd_write (global.get $fd) (i32.const 32) (i32.const 1) (i32.const 40)))
        (br $known)))
      (if (call $streq (local.get $op) (i32.const 624)) (then
        (i32.store (i32.const 32) (i32.const 1024))
        (i32.store (i32.const 36) (i32.const 16))
        (local.set $e (call $fd_read (global.get $fd) (i32.const 32) (i32.const 1) (i32.const 40)))
        (br $known)))
      (if (call $streq (local.get $op) (i32.const 629)) (then
        (local.set $e (call $fd_allocate (global.get $fd) (i64.const 0) (i64.const 4096)))
        (br $known)))
      (if (call $streq (local.get $op) (i32.const 638)) (then
        (local.set $e (call $fd_filestat_set_size (global.get $fd) (i64.const 0)))
        (br $known)))
      (if (call $streq (local.get $op) (i32.const 646)) (then
        (local.set $e (call $fd_filestat_set_times (global.get $fd) (i64.const 1000000000) (i64.const 1000000000) (i32.const 5)))
        (br $known)))
      (if (call $streq (local.get $op) (i32.const 657)) (then
        (local.set $e (call $fd_readdir (global.get $fd) (i32.const 1024) (i32.const 256) (i64.const 0) (i32.const 16)))
        (br $known)))
      (if (call $streq (local.get $op) (i32.const 700)) (then
        (local.set $e (call $fd_renumber (call $num (i32.add (local.get $i) (i32.const 2)))
          (call $num (i32.add (local.get $i) (i32.const 3)))))
        (local.set $n (i32.const 4)) (br $known)))
      (if (call $streq (local.get $op) (i32.const 709)) (then
        (local.set $e (call $fd_close (call $num (i32.add (local.get $i) (i32.const 2)))))
        (local.set $n (i32.const 3)) (br $known)))
      (if (call $streq (local.get $op) (i32.const 715)) (then
        (local.set $e (call $fd_fdstat_get (call $num (i32.add (local.get $i) (i32.const 2))) (i32.const 64)))
        (local.set $n (i32.const 3)) (br $known)))
      (if (call $streq (local.get $op) (i32.const 722)) (then
        (local.set $e (call $chain (call $num (i32.add (local.get $i) (i32.const 2)))))
        (local.set $n (i32.const 3)) (br $known)))
      (if (call $streq (local.get $op) (i32.const 728)) (then
        (drop (call $path_symlink (i32.const 973) (i32.const 2) (i32.const 3) (i32.const 970) (i32.const 2)))
        (drop (call $path_symlink (i32.const 970) (i32.const 2) (i32.const 3) (i32.const 973) (i32.const 2)))
        (local.set $e (call $open (i32.const 970) (i32.const 2) (i32.const 1) (i32.const 0) (i64.const 2)))
        (br $known)))
      (if (call $streq (local.get $op) (i32.const 733)) (then
        (local.set $e (call $open (i32.const 958) (i32.const 3) (i32.const 0) (i32.const 1) (i64.const 0x1fffffff)))
        (br $known)))
      (if (call $streq (local.get $op) (i32.const 737)) (then
        (local.set $e (call $open (i32.const 962) (i32.const 2) (i32.const 0) (i32.const 1) (i64.const 0x1fffffff)))
        (br $known)))
      (if (call $streq (local.get $op) (i32.const 745)) (then
        (memory.fill (i32.const 0x100000) (i32.const 97) (i32.const 300))
        (local.set $e (call $open (i32.const 0x100000) (i32.const 300) (i32.const 0) (i32.const 1) (i64.const 0x1fffffff)))
        (br $known)))
      (if (call $streq (local.get $op) (i32.const 754)) (then
        ;; "a/a/a/.../a" of 100000 bytes
        (memory.fill (i32.const 0x100000) (i32.const 47) (i32.const 100000))
        (local.set $a (i32.const 0))
        (loop $l
          (i32.store8 (i32.add (i32.const 0x100000) (local.get $a)) (i32.const 97))
          (local.set $a (i32.add (local.get $a) (i32.const 2)))
          (br_if $l (i32.lt_u (local.get $a) (i32.const 100000))))
        (local.set $e (call $open (i32.const 0x100000) (i32.const 99999) (i32.const 0) (i32.const 0) (i64.const 0)))
        (br $known)))
      (if (call $streq (local.get $op) (i32.const 800)) (then
        (local.set $e (call $path_open (i32.const 3) (i32.const 0) (call $num (i32.add (local.get $i) (i32.const 2)))
          (call $num (i32.add (local.get $i) (i32.const 3))) (i32.const 0) (i64.const 0) (i64.const 0) (i32.const 0) (i32.const 16)))
        (local.set $n (i32.const 4)) (br $known)))
      (if (call $streq (local.get $op) (i32.const 808)) (then
        (i32.store (i32.const 32) (call $num (i32.add (local.get $i) (i32.const 2))))
        (i32.store (i32.const 36) (call $num (i32.add (local.get $i) (i32.const 3))))
        (local.set $e (call $fd_write (i32.const 1) (i32.const 32) (i32.const 1) (i32.const 40)))
        (local.set $n (i32.const 4)) (br $known)))
      (if (call $streq (local.get $op) (i32.const 812)) (then
        (local.set $e (call $fd_write (i32.const 1) (call $num (i32.add (local.get $i) (i32.const 2)))
          (call $num (i32.add (local.get $i) (i32.const 3))) (i32.const 40)))
        (local.set $n (i32.const 4)) (br $known)))
      (if (call $streq (local.get $op) (i32.const 817)) (then
        (i32.store (i32.const 32) (call $num (i32.add (local.get $i) (i32.const 2))))
        (i32.store (i32.const 36) (call $num (i32.add (local.get $i) (i32.const 3))))
        (local.set $e (call $fd_read (i32.const 0) (i32.const 32) (i32.const 1) (i32.const 40)))
        (local.set $n (i32.const 4)) (br $known)))
      (if (call $streq (local.get $op) (i32.const 826)) (then
        (local.set $e (call $random_get (call $num (i32.add (local.get $i) (i32.const 2)))
          (call $num (i32.add (local.get $i) (i32.const 3)))))
        (local.set $n (i32.const 4)) (br $known)))
      (if (call $streq (local.get $op) (i32.const 833)) (then
        (local.set $e (call $args_get (call $num (i32.add (local.get $i) (i32.const 2))) (i32.const 8192)))
        (local.set $n (i32.const 3)) (br $known)))
      (if (call $streq (local.get $op) (i32.const 841)) (then
        (local.set $e (call $pollsubs (call $num (i32.add (local.get $i) (i32.const 2)))))
        (local.set $n (i32.const 3)) (br $known)))
      (if (call $streq (local.get $op) (i32.const 850)) (then
        (local.set $e (call $exhaust (call $num (i32.add (local.get $i) (i32.const 2)))))
        (local.set $n (i32.const 3)) (br $known)))
      (if (call $streq (local.get $op) (i32.const 858)) (then
        (local.set $e (call $bigwrite (call $num (i32.add (local.get $i) (i32.const 2)))))
        (local.set $n (i32.const 3)) (br $known)))
      ;; unknown op: report it as unsafe so that a typo cannot pass
      (call $putz (local.get $op))
      (call $putz (i32.const 946))
      (call $putz (i32.const 938))
      (call $flush)
      (global.set $unsafe (i32.const 1))
      (return (i32.add (local.get $i) (i32.const 1000))))
    (call $check (local.get $op) (local.get $ex) (local.get $e))
    (i32.add (local.get $i) (local.get $n)))

  (func (export "_start")
    (local $argc i32) (local $i i32)
    (drop (call $args_sizes_get (i32.const 0) (i32.const 4)))
    (local.set $argc (i32.load (i32.const 0)))
    (if (i32.gt_u (local.get $argc) (i32.const 1000)) (then (call $proc_exit (i32.const 2))))
    (if (i32.gt_u (i32.load (i32.const 4)) (i32.const 65536)) (then (call $proc_exit (i32.const 2))))
    (drop (call $args_get (i32.const 4096) (i32.const 8192)))
    (local.set $i (i32.const 1))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $argc)))
        (local.set $i (call $step (local.get $i)))
        ;; skip a ";" separator
        (if (i32.lt_u (local.get $i) (local.get $argc))
          (then (if (call $streq (call $arg (local.get $i)) (i32.const 911))
            (then (local.set $i (i32.add (local.get $i) (i32.const 1)))))))
        (br $l)))
    (call $proc_exit (global.get $unsafe)))
)
