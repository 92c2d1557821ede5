//go:build !amd64 || purego

package trail

// pairSIMD is false where there is no vector version of pairBlocks: finders
// then search for their rarest byte alone.
var pairSIMD = false

func pairBlocks(b []byte, c1, c2 byte, d, n int) int { panic("trail: pairBlocks without SIMD") }
