//go:build amd64 && !purego

package trail

import "golang.org/x/sys/cpu"

// pairSIMD says pairBlocks can be used: it needs AVX2.
var pairSIMD = cpu.X86.HasAVX2

// pairBlocks is in pair_amd64.s.
//
//go:noescape
func pairBlocks(b []byte, c1, c2 byte, d, n int) int

// countNeedle16 is in pair_amd64.s.
//
//go:noescape
func countNeedle16(b []byte, needle *[16]byte, c1, c2 byte, k1, k2, n int) int
