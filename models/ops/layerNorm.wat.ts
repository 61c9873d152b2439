/**
 * Source (WebAssembly text, SIMD) of the fused LayerNorm kernels of wasmLayerNorm.ts, kept as a string so that it
 * travels with the code that compiles it. It works on the TF.js wasm heap, imported as `env.memory`. Rows are
 * row-major (rows, d); every loop runs 4 floats at a time over d rounded down to 4, then one at a time.
 *
 * forward:  per row, mean μ and biased variance σ² (two passes, as tf.moments), r = (σ² + eps)^-½,
 *           x̂ = (x − μ)·r, y = x̂·g + b; writes y, x̂ and r (one float per row).
 * backward: per row, dx̂ = dy·g, m1 = mean(dx̂), m2 = mean(dx̂·x̂), dx = (dx̂ − m1 − x̂·m2)·r; with `weights` ≠ 0 also
 *           dg = Σ_rows dy·x̂ and db = Σ_rows dy (row by row, in order); dg and db are zeroed first either way.
 */

/** One loop over a row: `simd` runs with $o = byte offset of 4 floats, then `scalar` with $o of one float. */
function rowLoop(simd: string, scalar: string): string {
  return `
      (local.set $j (i32.const 0))
      (block $doneV (loop $loopV
        (br_if $doneV (i32.ge_u (local.get $j) (local.get $d4)))
        (local.set $o (i32.shl (local.get $j) (i32.const 2)))
        ${simd}
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $loopV)))
      (block $doneS (loop $loopS
        (br_if $doneS (i32.ge_u (local.get $j) (local.get $d)))
        (local.set $o (i32.shl (local.get $j) (i32.const 2)))
        ${scalar}
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $loopS)))`;
}

/** address base + $o */
const at = (base: string) => `(i32.add (local.get ${base}) (local.get $o))`;
const vload = (base: string) => `(v128.load ${at(base)})`;
const fload = (base: string) => `(f32.load ${at(base)})`;

export function layerNormWat(sharedMemory: boolean): string {
  return `(module
  (import "env" "memory" (memory 1 65536${sharedMemory ? ' shared' : ''}))
  (func $hsum (param $v v128) (result f32)
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
      (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))
  (func (export "forward")
    (param $x i32) (param $g i32) (param $b i32) (param $y i32) (param $xh i32) (param $r i32)
    (param $rows i32) (param $d i32) (param $eps f32)
    (local $row i32) (local $j i32) (local $o i32) (local $d4 i32) (local $rowBytes i32)
    (local $px i32) (local $py i32) (local $pxh i32)
    (local $acc v128) (local $c v128) (local $mv v128) (local $rv v128)
    (local $s f32) (local $cs f32) (local $mean f32) (local $rr f32) (local $inv f32)
    (local.set $d4 (i32.and (local.get $d) (i32.const -4)))
    (local.set $rowBytes (i32.shl (local.get $d) (i32.const 2)))
    (local.set $inv (f32.div (f32.const 1) (f32.convert_i32_u (local.get $d))))
    (local.set $px (local.get $x))
    (local.set $py (local.get $y))
    (local.set $pxh (local.get $xh))
    (block $doneR (loop $loopR
      (br_if $doneR (i32.ge_u (local.get $row) (local.get $rows)))
      ;; mean
      (local.set $acc (v128.const f32x4 0 0 0 0))
      (local.set $s (f32.const 0))
      ${rowLoop(
        `(local.set $acc (f32x4.add (local.get $acc) ${vload('$px')}))`,
        `(local.set $s (f32.add (local.get $s) ${fload('$px')}))`,
      )}
      (local.set $mean (f32.mul (f32.add (call $hsum (local.get $acc)) (local.get $s)) (local.get $inv)))
      (local.set $mv (f32x4.splat (local.get $mean)))
      ;; biased variance of the centred row
      (local.set $acc (v128.const f32x4 0 0 0 0))
      (local.set $s (f32.const 0))
      ${rowLoop(
        `(local.set $c (f32x4.sub ${vload('$px')} (local.get $mv)))
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $c) (local.get $c))))`,
        `(local.set $cs (f32.sub ${fload('$px')} (local.get $mean)))
        (local.set $s (f32.add (local.get $s) (f32.mul (local.get $cs) (local.get $cs))))`,
      )}
      (local.set $rr (f32.div (f32.const 1)
        (f32.sqrt (f32.add (f32.mul (f32.add (call $hsum (local.get $acc)) (local.get $s)) (local.get $inv)) (local.get $eps)))))
      (f32.store (i32.add (local.get $r) (i32.shl (local.get $row) (i32.const 2))) (local.get $rr))
      (local.set $rv (f32x4.splat (local.get $rr)))
      ;; x̂ and y
      ${rowLoop(
        `(local.set $c (f32x4.mul (f32x4.sub ${vload('$px')} (local.get $mv)) (local.get $rv)))
        (v128.store ${at('$pxh')} (local.get $c))
        (v128.store ${at('$py')} (f32x4.add (f32x4.mul (local.get $c) ${vload('$g')}) ${vload('$b')}))`,
        `(local.set $cs (f32.mul (f32.sub ${fload('$px')} (local.get $mean)) (local.get $rr)))
        (f32.store ${at('$pxh')} (local.get $cs))
        (f32.store ${at('$py')} (f32.add (f32.mul (local.get $cs) ${fload('$g')}) ${fload('$b')}))`,
      )}
      (local.set $px (i32.add (local.get $px) (local.get $rowBytes)))
      (local.set $py (i32.add (local.get $py) (local.get $rowBytes)))
      (local.set $pxh (i32.add (local.get $pxh) (local.get $rowBytes)))
      (local.set $row (i32.add (local.get $row) (i32.const 1)))
      (br $loopR))))
  (func (export "backward")
    (param $dy i32) (param $xh i32) (param $r i32) (param $g i32) (param $dx i32) (param $dg i32) (param $db i32)
    (param $rows i32) (param $d i32) (param $weights i32)
    (local $row i32) (local $j i32) (local $o i32) (local $d4 i32) (local $rowBytes i32)
    (local $pdy i32) (local $pxh i32) (local $pdx i32)
    (local $a1 v128) (local $a2 v128) (local $t v128) (local $h v128) (local $m1v v128) (local $m2v v128) (local $rv v128)
    (local $s1 f32) (local $s2 f32) (local $ts f32) (local $hs f32) (local $m1 f32) (local $m2 f32) (local $rr f32) (local $inv f32)
    (local.set $d4 (i32.and (local.get $d) (i32.const -4)))
    (local.set $rowBytes (i32.shl (local.get $d) (i32.const 2)))
    (local.set $inv (f32.div (f32.const 1) (f32.convert_i32_u (local.get $d))))
    ${rowLoop(
      `(v128.store ${at('$dg')} (v128.const f32x4 0 0 0 0))
        (v128.store ${at('$db')} (v128.const f32x4 0 0 0 0))`,
      `(f32.store ${at('$dg')} (f32.const 0))
        (f32.store ${at('$db')} (f32.const 0))`,
    )}
    (local.set $pdy (local.get $dy))
    (local.set $pxh (local.get $xh))
    (local.set $pdx (local.get $dx))
    (block $doneR (loop $loopR
      (br_if $doneR (i32.ge_u (local.get $row) (local.get $rows)))
      ;; m1 = mean(dy·g), m2 = mean(dy·g·x̂)
      (local.set $a1 (v128.const f32x4 0 0 0 0))
      (local.set $a2 (v128.const f32x4 0 0 0 0))
      (local.set $s1 (f32.const 0))
      (local.set $s2 (f32.const 0))
      ${rowLoop(
        `(local.set $t (f32x4.mul ${vload('$pdy')} ${vload('$g')}))
        (local.set $a1 (f32x4.add (local.get $a1) (local.get $t)))
        (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $t) ${vload('$pxh')})))`,
        `(local.set $ts (f32.mul ${fload('$pdy')} ${fload('$g')}))
        (local.set $s1 (f32.add (local.get $s1) (local.get $ts)))
        (local.set $s2 (f32.add (local.get $s2) (f32.mul (local.get $ts) ${fload('$pxh')})))`,
      )}
      (local.set $m1 (f32.mul (f32.add (call $hsum (local.get $a1)) (local.get $s1)) (local.get $inv)))
      (local.set $m2 (f32.mul (f32.add (call $hsum (local.get $a2)) (local.get $s2)) (local.get $inv)))
      (local.set $m1v (f32x4.splat (local.get $m1)))
      (local.set $m2v (f32x4.splat (local.get $m2)))
      (local.set $rr (f32.load (i32.add (local.get $r) (i32.shl (local.get $row) (i32.const 2)))))
      (local.set $rv (f32x4.splat (local.get $rr)))
      ;; dx, and the weights' sums
      ${rowLoop(
        `(local.set $h ${vload('$pxh')})
        (local.set $t (f32x4.mul ${vload('$pdy')} ${vload('$g')}))
        (v128.store ${at('$pdx')}
          (f32x4.mul (f32x4.sub (f32x4.sub (local.get $t) (local.get $m1v)) (f32x4.mul (local.get $h) (local.get $m2v))) (local.get $rv)))
        (if (local.get $weights) (then
          (v128.store ${at('$dg')} (f32x4.add ${vload('$dg')} (f32x4.mul ${vload('$pdy')} (local.get $h))))
          (v128.store ${at('$db')} (f32x4.add ${vload('$db')} ${vload('$pdy')}))))`,
        `(local.set $hs ${fload('$pxh')})
        (local.set $ts (f32.mul ${fload('$pdy')} ${fload('$g')}))
        (f32.store ${at('$pdx')}
          (f32.mul (f32.sub (f32.sub (local.get $ts) (local.get $m1)) (f32.mul (local.get $hs) (local.get $m2))) (local.get $rr)))
        (if (local.get $weights) (then
          (f32.store ${at('$dg')} (f32.add ${fload('$dg')} (f32.mul ${fload('$pdy')} (local.get $hs))))
          (f32.store ${at('$db')} (f32.add ${fload('$db')} ${fload('$pdy')}))))`,
      )}
      (local.set $pdy (i32.add (local.get $pdy) (local.get $rowBytes)))
      (local.set $pxh (i32.add (local.get $pxh) (local.get $rowBytes)))
      (local.set $pdx (i32.add (local.get $pdx) (local.get $rowBytes)))
      (local.set $row (i32.add (local.get $row) (i32.const 1)))
      (br $loopR)))))
`;
}
