//go:build amd64 && !purego

#include "textflag.h"

// func pairBlocks(b []byte, c1, c2 byte, d, n int) int
//
// Tests the positions i in [0, n), n a multiple of 64 with n+d <= len(b),
// 64 at a time: returns the first i with b[i] == c1 and b[i+d] == c2, or -1.
TEXT ·pairBlocks(SB), NOSPLIT, $0-56
	MOVQ    b_base+0(FP), SI
	MOVBLZX c1+24(FP), AX
	MOVBLZX c2+25(FP), CX
	MOVQ    d+32(FP), DX
	MOVQ    n+40(FP), BX
	LEAQ    (SI)(DX*1), R8       // R8 = b[d:]
	MOVD    AX, X1
	VPBROADCASTB X1, Y1
	MOVD    CX, X2
	VPBROADCASTB X2, Y2
	XORQ    DI, DI

loop:
	CMPQ    DI, BX
	JAE     notfound
	VPCMPEQB (SI)(DI*1), Y1, Y3
	VPCMPEQB (R8)(DI*1), Y2, Y4
	VPCMPEQB 32(SI)(DI*1), Y1, Y5
	VPCMPEQB 32(R8)(DI*1), Y2, Y6
	VPAND   Y3, Y4, Y3
	VPAND   Y5, Y6, Y5
	VPOR    Y3, Y5, Y7
	VPTEST  Y7, Y7
	JNZ     found
	ADDQ    $64, DI
	JMP     loop

found:
	VPMOVMSKB Y3, R9
	TESTL   R9, R9
	JNZ     first
	VPMOVMSKB Y5, R9
	ADDQ    $32, DI

first:
	BSFL    R9, R9
	ADDQ    R9, DI
	MOVQ    DI, ret+48(FP)
	VZEROUPPER
	RET

notfound:
	MOVQ    $-1, ret+48(FP)
	VZEROUPPER
	RET

// func countNeedle16(b []byte, needle *[16]byte, c1, c2 byte, k1, k2, n int) int
//
// Counts the positions p in [0, n), n a multiple of 64 with n+15 <= len(b)
// and k1, k2 < 16, where b[p+k1] == c1, b[p+k2] == c2 and the 16 bytes at
// b[p] are needle: the pair test runs 64 positions at a time with one
// branch (most blocks hold no candidate), and only its candidates are
// compared whole, without returning to Go.
TEXT ·countNeedle16(SB), NOSPLIT, $0-72
	MOVQ    b_base+0(FP), SI
	MOVQ    needle+24(FP), R8
	MOVBLZX c1+32(FP), AX
	MOVBLZX c2+33(FP), CX
	MOVQ    k1+40(FP), R10
	MOVQ    k2+48(FP), R11
	MOVQ    n+56(FP), BX
	MOVD    AX, X1
	VPBROADCASTB X1, Y1
	MOVD    CX, X2
	VPBROADCASTB X2, Y2
	VMOVDQU (R8), X0
	LEAQ    (SI)(R10*1), R12     // b[k1:]
	LEAQ    (SI)(R11*1), R13     // b[k2:]
	XORQ    AX, AX               // the count
	XORQ    DI, DI               // p of the block

cloop:
	CMPQ    DI, BX
	JAE     cdone
	VPCMPEQB (R12)(DI*1), Y1, Y3
	VPCMPEQB (R13)(DI*1), Y2, Y4
	VPCMPEQB 32(R12)(DI*1), Y1, Y5
	VPCMPEQB 32(R13)(DI*1), Y2, Y6
	VPAND   Y3, Y4, Y3
	VPAND   Y5, Y6, Y5
	VPOR    Y3, Y5, Y7
	VPTEST  Y7, Y7
	JNZ     chit
	ADDQ    $64, DI
	JMP     cloop

chit:
	VPMOVMSKB Y3, R9
	VPMOVMSKB Y5, R10
	SHLQ    $32, R10
	ORQ     R10, R9

cbits:
	BSFQ    R9, CX
	LEAQ    (DI)(CX*1), DX
	VMOVDQU (SI)(DX*1), X5
	VPCMPEQB X0, X5, X5
	VPMOVMSKB X5, R14
	CMPL    R14, $0xffff
	JNE     cskip
	INCQ    AX

cskip:
	LEAQ    -1(R9), R15
	ANDQ    R15, R9
	JNZ     cbits
	ADDQ    $64, DI
	JMP     cloop

cdone:
	MOVQ    AX, ret+64(FP)
	VZEROUPPER
	RET
