//! POSIX extended regular expressions (temporary: plain regex-crate syntax until the
//! translator lands).

pub struct Ere(regex::bytes::Regex);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EreError(pub String);

impl std::fmt::Debug for Ere {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Ere")
    }
}

impl Ere {
    pub fn new(pattern: &[u8], icase: bool) -> Result<Ere, EreError> {
        let p = String::from_utf8_lossy(pattern);
        regex::bytes::RegexBuilder::new(&p)
            .case_insensitive(icase)
            .unicode(false)
            .build()
            .map(Ere)
            .map_err(|e| EreError(e.to_string()))
    }

    pub fn is_match(&self, subject: &[u8]) -> bool {
        self.0.is_match(subject)
    }
}
