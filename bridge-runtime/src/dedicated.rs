//! `Dedicated<T>`: a value that lives on a thread of its own.
