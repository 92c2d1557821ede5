//go:build !amd64 || purego

package trail

// pairSIMD is false where there is no vector version of pairBlocks: finders
// then search for their rarest byte alone.
var pairSIMD = false

func pairBlocks(b []byte, c1, c2 byte, d, n int) int { panic("trail: pairBlocks without SIMD") }

func countNeedle16(b []byte, needle *[16]byte, c1, c2 byte, k1, k2, n int) int {
	panic("trail: countNeedle16 without SIMD")
}
