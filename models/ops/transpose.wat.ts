/**
 * Source (WebAssembly text, SIMD) of the transpose kernels of wasmTranspose.ts, kept as a string so that it travels
 * with the code that compiles it. It works on the TF.js wasm heap, imported as `env.memory`. Pure data movement:
 * every float is copied once, bit for bit.
 *
 * transpose2d: dst[t] = src[t]ᵀ for row-major (rows, cols) matrices, t < batch. With rows and cols multiples of 4
 *   it moves 4×4 tiles (four v128 loads, eight shuffles, four stores), walking src row-stripe by row-stripe so that
 *   reads stream and the 4·cols bytes written per stripe stay in cache; otherwise one float at a time.
 * transposeBlocks: dst[t][q][r] = src[t][r][q] where each element is a block of `elem` floats (elem a multiple
 *   of 4): the head split (B, N, H, dh) → (B, H, N, dh) of attention, as v128 copies.
 */

/** i8x16.shuffle byte lanes taking 32-bit lanes `lanes` of (a ++ b) */
function shuffle(lanes: number[]): string {
  return lanes.flatMap((l) => [0, 1, 2, 3].map((b) => 4 * l + b)).join(' ');
}
const LO = shuffle([0, 4, 1, 5]);
const HI = shuffle([2, 6, 3, 7]);
const LO64 = shuffle([0, 1, 4, 5]);
const HI64 = shuffle([2, 3, 6, 7]);

export function transposeWat(sharedMemory: boolean): string {
  return `(module
  (import "env" "memory" (memory 1 65536${sharedMemory ? ' shared' : ''}))
  (func (export "transpose2d") (param $src i32) (param $dst i32) (param $batch i32) (param $rows i32) (param $cols i32)
    (local $t i32) (local $r i32) (local $q i32) (local $rowBytes i32) (local $colBytes i32) (local $size i32)
    (local $ps i32) (local $pd i32) (local $base i32)
    (local $a v128) (local $b v128) (local $c v128) (local $d v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $rowBytes (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $colBytes (i32.shl (local.get $rows) (i32.const 2)))
    (local.set $size (i32.mul (local.get $rowBytes) (local.get $rows)))
    (block $doneT (loop $loopT
      (br_if $doneT (i32.ge_u (local.get $t) (local.get $batch)))
      (local.set $base (i32.mul (local.get $t) (local.get $size)))
      (if (i32.eqz (i32.or (i32.and (local.get $rows) (i32.const 3)) (i32.and (local.get $cols) (i32.const 3))))
        (then
          ;; 4×4 tiles: rows r..r+3 of src, columns q..q+3
          (local.set $r (i32.const 0))
          (block $doneR (loop $loopR
            (br_if $doneR (i32.ge_u (local.get $r) (local.get $rows)))
            (local.set $q (i32.const 0))
            (block $doneQ (loop $loopQ
              (br_if $doneQ (i32.ge_u (local.get $q) (local.get $cols)))
              (local.set $ps (i32.add (i32.add (local.get $src) (local.get $base))
                (i32.add (i32.mul (local.get $r) (local.get $rowBytes)) (i32.shl (local.get $q) (i32.const 2)))))
              (local.set $a (v128.load (local.get $ps)))
              (local.set $b (v128.load (i32.add (local.get $ps) (local.get $rowBytes))))
              (local.set $c (v128.load (i32.add (local.get $ps) (i32.shl (local.get $rowBytes) (i32.const 1)))))
              (local.set $d (v128.load (i32.add (local.get $ps) (i32.mul (local.get $rowBytes) (i32.const 3)))))
              (local.set $t0 (i8x16.shuffle ${LO} (local.get $a) (local.get $b)))
              (local.set $t1 (i8x16.shuffle ${HI} (local.get $a) (local.get $b)))
              (local.set $t2 (i8x16.shuffle ${LO} (local.get $c) (local.get $d)))
              (local.set $t3 (i8x16.shuffle ${HI} (local.get $c) (local.get $d)))
              (local.set $pd (i32.add (i32.add (local.get $dst) (local.get $base))
                (i32.add (i32.mul (local.get $q) (local.get $colBytes)) (i32.shl (local.get $r) (i32.const 2)))))
              (v128.store (local.get $pd) (i8x16.shuffle ${LO64} (local.get $t0) (local.get $t2)))
              (v128.store (i32.add (local.get $pd) (local.get $colBytes)) (i8x16.shuffle ${HI64} (local.get $t0) (local.get $t2)))
              (v128.store (i32.add (local.get $pd) (i32.shl (local.get $colBytes) (i32.const 1))) (i8x16.shuffle ${LO64} (local.get $t1) (local.get $t3)))
              (v128.store (i32.add (local.get $pd) (i32.mul (local.get $colBytes) (i32.const 3))) (i8x16.shuffle ${HI64} (local.get $t1) (local.get $t3)))
              (local.set $q (i32.add (local.get $q) (i32.const 4)))
              (br $loopQ)))
            (local.set $r (i32.add (local.get $r) (i32.const 4)))
            (br $loopR))))
        (else
          (local.set $r (i32.const 0))
          (block $doneR (loop $loopR
            (br_if $doneR (i32.ge_u (local.get $r) (local.get $rows)))
            (local.set $q (i32.const 0))
            (block $doneQ (loop $loopQ
              (br_if $doneQ (i32.ge_u (local.get $q) (local.get $cols)))
              (i32.store
                (i32.add (i32.add (local.get $dst) (local.get $base)) (i32.add (i32.mul (local.get $q) (local.get $colBytes)) (i32.shl (local.get $r) (i32.const 2))))
                (i32.load (i32.add (i32.add (local.get $src) (local.get $base)) (i32.add (i32.mul (local.get $r) (local.get $rowBytes)) (i32.shl (local.get $q) (i32.const 2))))))
              (local.set $q (i32.add (local.get $q) (i32.const 1)))
              (br $loopQ)))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br $loopR)))))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $loopT))))
  (func (export "transposeBlocks") (param $src i32) (param $dst i32) (param $batch i32) (param $rows i32) (param $cols i32) (param $elem i32)
    (local $t i32) (local $r i32) (local $q i32) (local $k i32) (local $elemBytes i32) (local $ps i32) (local $pd i32) (local $base i32) (local $size i32)
    (local.set $elemBytes (i32.shl (local.get $elem) (i32.const 2)))
    (local.set $size (i32.mul (i32.mul (local.get $rows) (local.get $cols)) (local.get $elemBytes)))
    (block $doneT (loop $loopT
      (br_if $doneT (i32.ge_u (local.get $t) (local.get $batch)))
      (local.set $base (i32.mul (local.get $t) (local.get $size)))
      (local.set $ps (i32.add (local.get $src) (local.get $base)))
      (local.set $r (i32.const 0))
      (block $doneR (loop $loopR
        (br_if $doneR (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $q (i32.const 0))
        (block $doneQ (loop $loopQ
          (br_if $doneQ (i32.ge_u (local.get $q) (local.get $cols)))
          ;; block (r, q) of src, read in order, goes to block (q, r) of dst
          (local.set $pd (i32.add (i32.add (local.get $dst) (local.get $base))
            (i32.mul (i32.add (i32.mul (local.get $q) (local.get $rows)) (local.get $r)) (local.get $elemBytes))))
          (local.set $k (i32.const 0))
          (block $doneK (loop $loopK
            (br_if $doneK (i32.ge_u (local.get $k) (local.get $elemBytes)))
            (v128.store (i32.add (local.get $pd) (local.get $k)) (v128.load (i32.add (local.get $ps) (local.get $k))))
            (local.set $k (i32.add (local.get $k) (i32.const 16)))
            (br $loopK)))
          (local.set $ps (i32.add (local.get $ps) (local.get $elemBytes)))
          (local.set $q (i32.add (local.get $q) (i32.const 1)))
          (br $loopQ)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $loopR)))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $loopT)))))
`;
}
