/*
 * bcryptprimitives.dll for Wine 8, which has none: Rust's std (1.78 and
 * later) imports ProcessPrng from it for its random numbers (the keys of
 * HashMap), and a program whose imports cannot be resolved does not start.
 * ProcessPrng fills a buffer of any size and, as documented, does not
 * fail; BCryptGenRandom, which Wine 8 has, takes at most a ULONG of bytes
 * per call, so larger buffers go in pieces.
 *
 * Built by .ci/lib/cross.sh: x86_64-w64-mingw32-gcc -shared ... -lbcrypt
 */
#include <windows.h>
#include <bcrypt.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE out, SIZE_T len)
{
    const SIZE_T piece = (SIZE_T)1 << 30;

    while (len != 0) {
        ULONG n = (ULONG)(len < piece ? len : piece);

        if (!BCRYPT_SUCCESS(BCryptGenRandom(NULL, out, n, BCRYPT_USE_SYSTEM_PREFERRED_RNG)))
            return FALSE;
        out += n;
        len -= n;
    }
    return TRUE;
}
