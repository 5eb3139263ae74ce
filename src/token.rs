/// Associates readiness events with the handle that produced them.
///
/// A `Token` is chosen by the user when a handle is registered with a
/// [`Poll`](crate::Poll) and handed back unchanged in every [`Event`](crate::event::Event)
/// for that handle. A common choice is an index into a slab of connections.
///
/// `Token(usize::MAX)` is reserved for evio's own use: registering with it
/// fails with [`ErrorKind::InvalidInput`](std::io::ErrorKind::InvalidInput).
///
/// # Examples
///
/// ```
/// use evio::Token;
///
/// let token = Token::from(7);
/// assert_eq!(token, Token(7));
/// assert_eq!(usize::from(token), 7);
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Token(pub usize);

impl Token {
    /// The reserved token, used internally for evio's own wake-ups.
    pub(crate) const RESERVED: Token = Token(usize::MAX);
}

impl From<usize> for Token {
    #[inline]
    fn from(val: usize) -> Token {
        Token(val)
    }
}

impl From<Token> for usize {
    #[inline]
    fn from(val: Token) -> usize {
        val.0
    }
}
