//! Behaviour tests of bridge live in `tests/`, one file per topic; this
//! library holds what they share.
