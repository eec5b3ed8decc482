//! Failure injection that compiles away.
//!
//! With the `failpoints` cargo feature off, `fail_point!` is `Ok(())` and the
//! registry below does not exist. With it on, a named point fires when it is armed
//! either for the current thread (`arm`, used by unit tests so parallel tests do
//! not see each other's points) or process-wide (`arm_global`, or the environment
//! variable `ISOTHERM_FAILPOINTS="name=error;other=panic"` read on first use, for
//! crash tests that run a child process).
//!
//! Points in this crate:
//! - `durable::before_rename`: temp file written and fsynced, not yet renamed.
//! - `durable::before_dir_fsync`: renamed, directory not yet fsynced.
//! - `manifest::mid_append`: half of a manifest record written, then failure.

/// Evaluates a named failpoint: an `std::io::Result<()>` that is an injected error
/// when the point is armed with `Action::Error` (and panics for `Action::Panic`).
macro_rules! fail_point {
    ($name:literal) => {{
        #[cfg(feature = "failpoints")]
        let result = $crate::failpoint::eval($name);
        #[cfg(not(feature = "failpoints"))]
        let result: ::std::io::Result<()> = Ok(());
        result
    }};
}
pub(crate) use fail_point;

#[cfg(feature = "failpoints")]
pub use registry::*;

#[cfg(feature = "failpoints")]
mod registry {
    use std::cell::RefCell;
    use std::collections::HashMap;
    use std::io;
    use std::sync::{Mutex, OnceLock};

    /// What an armed point does.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Action {
        /// Return an injected `io::Error` (kind `Other`).
        Error,
        /// Panic, simulating a crash at that point (nothing after it runs).
        Panic,
    }

    impl Action {
        /// Performs the action for point `name`.
        pub fn fire(self, name: &str) -> io::Result<()> {
            match self {
                Action::Error => Err(io::Error::other(format!("failpoint {name} injected"))),
                Action::Panic => panic!("failpoint {name} panicked"),
            }
        }
    }

    thread_local! {
        static LOCAL: RefCell<HashMap<String, Action>> = RefCell::new(HashMap::new());
    }

    fn global() -> &'static Mutex<HashMap<String, Action>> {
        static GLOBAL: OnceLock<Mutex<HashMap<String, Action>>> = OnceLock::new();
        GLOBAL.get_or_init(|| Mutex::new(parse_env()))
    }

    fn parse_env() -> HashMap<String, Action> {
        let mut points = HashMap::new();
        let Ok(spec) = std::env::var("ISOTHERM_FAILPOINTS") else {
            return points;
        };
        for item in spec.split(';').filter(|s| !s.trim().is_empty()) {
            let (name, action) = item.split_once('=').unwrap_or((item, "error"));
            let action = match action.trim() {
                "panic" => Action::Panic,
                _ => Action::Error,
            };
            points.insert(name.trim().to_string(), action);
        }
        points
    }

    /// Arms `name` for the current thread until the returned guard drops.
    pub fn arm(name: &str, action: Action) -> LocalGuard {
        LOCAL.with(|l| l.borrow_mut().insert(name.to_string(), action));
        LocalGuard {
            name: name.to_string(),
        }
    }

    /// Arms `name` for every thread until [`disarm_global`].
    pub fn arm_global(name: &str, action: Action) {
        global()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name.to_string(), action);
    }

    /// Disarms a process-wide point.
    pub fn disarm_global(name: &str) {
        global()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(name);
    }

    /// The action armed for `name`, thread-local first, if any.
    pub fn armed(name: &str) -> Option<Action> {
        LOCAL.with(|l| l.borrow().get(name).copied()).or_else(|| {
            global()
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(name)
                .copied()
        })
    }

    /// Fires `name` if armed.
    pub fn eval(name: &str) -> io::Result<()> {
        match armed(name) {
            Some(action) => action.fire(name),
            None => Ok(()),
        }
    }

    /// Disarms a thread-local point on drop.
    #[must_use = "the failpoint is disarmed when the guard drops"]
    pub struct LocalGuard {
        name: String,
    }

    impl Drop for LocalGuard {
        fn drop(&mut self) {
            LOCAL.with(|l| l.borrow_mut().remove(&self.name));
        }
    }
}

#[cfg(all(test, feature = "failpoints"))]
mod tests {
    use super::*;

    #[test]
    fn armed_point_errors_and_guard_disarms() {
        assert!(fail_point!("test::point").is_ok());
        {
            let _g = arm("test::point", Action::Error);
            assert!(fail_point!("test::point").is_err());
        }
        assert!(fail_point!("test::point").is_ok());
    }

    #[test]
    fn local_points_do_not_leak_to_other_threads() {
        let _g = arm("test::other_thread", Action::Error);
        let r = std::thread::spawn(|| fail_point!("test::other_thread").is_ok())
            .join()
            .map_err(|_| "thread panicked");
        assert_eq!(r, Ok(true));
    }

    #[test]
    fn panic_action_panics() {
        let _g = arm("test::panic", Action::Panic);
        let r = std::panic::catch_unwind(|| fail_point!("test::panic"));
        assert!(r.is_err());
    }

    #[test]
    fn global_points_fire_everywhere() {
        arm_global("test::global", Action::Error);
        let r = std::thread::spawn(|| fail_point!("test::global").is_err())
            .join()
            .map_err(|_| "thread panicked");
        disarm_global("test::global");
        assert_eq!(r, Ok(true));
        assert!(fail_point!("test::global").is_ok());
    }
}
