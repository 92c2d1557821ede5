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
