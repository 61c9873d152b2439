/**
 * Source (WebAssembly text, SIMD) of the batched product kernel of wasmBatchMatMul.ts, kept as a string so that
 * it travels with the code that compiles it. It works on the TF.js wasm heap, imported as `env.memory`.
 *
 * bmm: C[t] = A[t]·B[t] for t < batch. B (k, n) and C (m, n) are row-major; A's element (i, p) of matrix t is
 * at a + t·aBatch + i·aRow + p·aCol bytes, so a transposed A is a change of strides, and aBatch = 0 broadcasts
 * one A (likewise bBatch for B). Each output element is Σ_p in order p = 0…k−1, one float32 accumulator per
 * element: the sum order of a naive loop, independent of the blocking. Rows are computed 16 columns at a time
 * in four f32x4 accumulators held in registers across p, then 4 at a time, then one.
 *
 * transpose: dst[t] = src[t]ᵀ for row-major (rows, cols) matrices; used for a transposed B.
 */
export function batchMatMulWat(sharedMemory: boolean): string {
  return `(module
  (import "env" "memory" (memory 1 65536${sharedMemory ? ' shared' : ''}))
  (func (export "bmm")
    (param $a i32) (param $b i32) (param $c i32) (param $batch i32) (param $m i32) (param $k i32) (param $n i32)
    (param $aBatch i32) (param $aRow i32) (param $aCol i32) (param $bBatch i32)
    (local $t i32) (local $i i32) (local $j i32) (local $p i32)
    (local $pa i32) (local $pb i32) (local $pc i32) (local $rowA i32) (local $nb i32)
    (local $av v128) (local $acc0 v128) (local $acc1 v128) (local $acc2 v128) (local $acc3 v128) (local $s f32)
    (local.set $nb (i32.shl (local.get $n) (i32.const 2)))
    (local.set $pc (local.get $c))
    (block $doneT (loop $loopT
      (br_if $doneT (i32.ge_u (local.get $t) (local.get $batch)))
      (local.set $i (i32.const 0))
      (block $doneI (loop $loopI
        (br_if $doneI (i32.ge_u (local.get $i) (local.get $m)))
        (local.set $rowA (i32.add (i32.add (local.get $a) (i32.mul (local.get $t) (local.get $aBatch))) (i32.mul (local.get $i) (local.get $aRow))))
        (local.set $j (i32.const 0))
        ;; 16 columns at a time
        (block $done16 (loop $loop16
          (br_if $done16 (i32.gt_u (i32.add (local.get $j) (i32.const 16)) (local.get $n)))
          (local.set $acc0 (v128.const f32x4 0 0 0 0))
          (local.set $acc1 (v128.const f32x4 0 0 0 0))
          (local.set $acc2 (v128.const f32x4 0 0 0 0))
          (local.set $acc3 (v128.const f32x4 0 0 0 0))
          (local.set $pa (local.get $rowA))
          (local.set $pb (i32.add (i32.add (local.get $b) (i32.mul (local.get $t) (local.get $bBatch))) (i32.shl (local.get $j) (i32.const 2))))
          (local.set $p (i32.const 0))
          (block $doneP (loop $loopP
            (br_if $doneP (i32.ge_u (local.get $p) (local.get $k)))
            (local.set $av (f32x4.splat (f32.load (local.get $pa))))
            (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (local.get $av) (v128.load (local.get $pb)))))
            (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul (local.get $av) (v128.load offset=16 (local.get $pb)))))
            (local.set $acc2 (f32x4.add (local.get $acc2) (f32x4.mul (local.get $av) (v128.load offset=32 (local.get $pb)))))
            (local.set $acc3 (f32x4.add (local.get $acc3) (f32x4.mul (local.get $av) (v128.load offset=48 (local.get $pb)))))
            (local.set $pa (i32.add (local.get $pa) (local.get $aCol)))
            (local.set $pb (i32.add (local.get $pb) (local.get $nb)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $loopP)))
          (v128.store (local.get $pc) (local.get $acc0))
          (v128.store offset=16 (local.get $pc) (local.get $acc1))
          (v128.store offset=32 (local.get $pc) (local.get $acc2))
          (v128.store offset=48 (local.get $pc) (local.get $acc3))
          (local.set $pc (i32.add (local.get $pc) (i32.const 64)))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br $loop16)))
        ;; 4 columns at a time
        (block $done4 (loop $loop4
          (br_if $done4 (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $n)))
          (local.set $acc0 (v128.const f32x4 0 0 0 0))
          (local.set $pa (local.get $rowA))
          (local.set $pb (i32.add (i32.add (local.get $b) (i32.mul (local.get $t) (local.get $bBatch))) (i32.shl (local.get $j) (i32.const 2))))
          (local.set $p (i32.const 0))
          (block $doneP4 (loop $loopP4
            (br_if $doneP4 (i32.ge_u (local.get $p) (local.get $k)))
            (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (f32x4.splat (f32.load (local.get $pa))) (v128.load (local.get $pb)))))
            (local.set $pa (i32.add (local.get $pa) (local.get $aCol)))
            (local.set $pb (i32.add (local.get $pb) (local.get $nb)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $loopP4)))
          (v128.store (local.get $pc) (local.get $acc0))
          (local.set $pc (i32.add (local.get $pc) (i32.const 16)))
          (local.set $j (i32.add (local.get $j) (i32.const 4)))
          (br $loop4)))
        ;; the last columns one at a time
        (block $done1 (loop $loop1
          (br_if $done1 (i32.ge_u (local.get $j) (local.get $n)))
          (local.set $s (f32.const 0))
          (local.set $pa (local.get $rowA))
          (local.set $pb (i32.add (i32.add (local.get $b) (i32.mul (local.get $t) (local.get $bBatch))) (i32.shl (local.get $j) (i32.const 2))))
          (local.set $p (i32.const 0))
          (block $doneP1 (loop $loopP1
            (br_if $doneP1 (i32.ge_u (local.get $p) (local.get $k)))
            (local.set $s (f32.add (local.get $s) (f32.mul (f32.load (local.get $pa)) (f32.load (local.get $pb)))))
            (local.set $pa (i32.add (local.get $pa) (local.get $aCol)))
            (local.set $pb (i32.add (local.get $pb) (local.get $nb)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $loopP1)))
          (f32.store (local.get $pc) (local.get $s))
          (local.set $pc (i32.add (local.get $pc) (i32.const 4)))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $loop1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $loopI)))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $loopT))))
  (func (export "transpose") (param $src i32) (param $dst i32) (param $batch i32) (param $rows i32) (param $cols i32)
    (local $t i32) (local $r i32) (local $q i32) (local $ps i32) (local $base i32) (local $size i32)
    (local.set $size (i32.shl (i32.mul (local.get $rows) (local.get $cols)) (i32.const 2)))
    (local.set $ps (local.get $src))
    (block $doneT (loop $loopT
      (br_if $doneT (i32.ge_u (local.get $t) (local.get $batch)))
      (local.set $base (i32.add (local.get $dst) (i32.mul (local.get $t) (local.get $size))))
      (local.set $r (i32.const 0))
      (block $doneR (loop $loopR
        (br_if $doneR (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $q (i32.const 0))
        (block $doneQ (loop $loopQ
          (br_if $doneQ (i32.ge_u (local.get $q) (local.get $cols)))
          ;; dst[t][q][r] = src[t][r][q]
          (f32.store
            (i32.add (local.get $base) (i32.shl (i32.add (i32.mul (local.get $q) (local.get $rows)) (local.get $r)) (i32.const 2)))
            (f32.load (local.get $ps)))
          (local.set $ps (i32.add (local.get $ps) (i32.const 4)))
          (local.set $q (i32.add (local.get $q) (i32.const 1)))
          (br $loopQ)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $loopR)))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $loopT)))))
`;
}
