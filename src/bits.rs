//! The one implementation of a set of bits, behind [`Ready`](crate::Ready),
//! [`PollOpt`](crate::PollOpt) and, on Unix, `unix::UnixReady`: the
//! operators `|`, `^`, `&`, `-`, their assignments, `!` (the complement
//! within the bits a type knows), and the `Debug` output
//! (`Readable | Writable`, `(empty)`).
//!
//! A type gives its raw bits through [`Bits`] and calls [`bit_set!`]; the
//! operators take either anything that converts into the type's operand
//! (`Ready`'s, as in the classic API) or exactly the type (`PollOpt`'s).

use std::fmt;

/// A set of bits in a `usize`.
pub(crate) trait Bits: Copy {
    /// The raw bits.
    fn to_bits(self) -> usize;
    /// The set of exactly these bits.
    fn from_bits(bits: usize) -> Self;
}

/// Writes the names of the bits set in `bits`, `" | "` between them, or
/// `(empty)`; a bit without a name is not written.
pub(crate) fn fmt_names(
    bits: usize,
    names: &[(usize, &str)],
    f: &mut fmt::Formatter<'_>,
) -> fmt::Result {
    let mut one = false;
    for &(bit, name) in names {
        if bits & bit != 0 {
            if one {
                f.write_str(" | ")?;
            }
            f.write_str(name)?;
            one = true;
        }
    }
    if !one {
        f.write_str("(empty)")?;
    }
    Ok(())
}

/// Implements the operators of a [`Bits`] type `$ty`.
///
/// - `bit_set!($ty, into $operand, not $mask)`: the right-hand side is any
///   `T: Into<$operand>` (`$operand` is `$ty` or the type `$ty` wraps);
/// - `bit_set!($ty, exact, not $mask)`: the right-hand side is a `$ty`.
///
/// `!` keeps the bits of `$mask` only.
macro_rules! bit_set {
    ($ty:ty, into $operand:ty, not $mask:expr) => {
        $crate::bits::bit_set!(@ops $ty, [T: Into<$operand>], T, |o: T| {
            $crate::bits::Bits::to_bits(o.into())
        });
        $crate::bits::bit_set!(@not $ty, $mask);
    };
    ($ty:ty, exact, not $mask:expr) => {
        $crate::bits::bit_set!(@ops $ty, [], $ty, |o: $ty| $crate::bits::Bits::to_bits(o));
        $crate::bits::bit_set!(@not $ty, $mask);
    };
    (@ops $ty:ty, [$($g:tt)*], $rhs:ty, $bits:expr) => {
        $crate::bits::bit_set!(@op $ty, [$($g)*], $rhs, $bits,
            BitOr bitor BitOrAssign bitor_assign |a, b| a | b);
        $crate::bits::bit_set!(@op $ty, [$($g)*], $rhs, $bits,
            BitXor bitxor BitXorAssign bitxor_assign |a, b| a ^ b);
        $crate::bits::bit_set!(@op $ty, [$($g)*], $rhs, $bits,
            BitAnd bitand BitAndAssign bitand_assign |a, b| a & b);
        $crate::bits::bit_set!(@op $ty, [$($g)*], $rhs, $bits,
            Sub sub SubAssign sub_assign |a, b| a & !b);
    };
    (@op $ty:ty, [$($g:tt)*], $rhs:ty, $bits:expr,
        $tr:ident $f:ident $atr:ident $af:ident |$a:ident, $b:ident| $e:expr) => {
        impl<$($g)*> ::std::ops::$tr<$rhs> for $ty {
            type Output = $ty;
            #[inline]
            fn $f(self, other: $rhs) -> $ty {
                let ($a, $b) = ($crate::bits::Bits::to_bits(self), ($bits)(other));
                $crate::bits::Bits::from_bits($e)
            }
        }
        impl<$($g)*> ::std::ops::$atr<$rhs> for $ty {
            #[inline]
            fn $af(&mut self, other: $rhs) {
                let ($a, $b) = ($crate::bits::Bits::to_bits(*self), ($bits)(other));
                *self = $crate::bits::Bits::from_bits($e);
            }
        }
    };
    (@not $ty:ty, $mask:expr) => {
        impl ::std::ops::Not for $ty {
            type Output = $ty;
            #[inline]
            fn not(self) -> $ty {
                $crate::bits::Bits::from_bits(!$crate::bits::Bits::to_bits(self) & $mask)
            }
        }
    };
}

pub(crate) use bit_set;
