//! What a value is, when the syntax shows it: a `std::sync::mpsc` receiver,
//! a `Command`, a `Condvar`, a rayon pool, a struct of the code in view.
//! Followed from the constructor call, parameter type, field type, static
//! or annotated `let` that made it, through builders, `Arc`s, `Mutex`es,
//! `unwrap`s, `?`, references and tuples, to the method called on it.

use super::catalogue::{self, Kind, Made};
use super::resolve::{Place, Target, Ty, TypeId, UNKNOWN, World};

/// What the checker knows a value to be.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Shape {
    Kind(Kind),
    Tuple(Vec<Shape>),
    /// A value of a struct of the code in view.
    Local(TypeId),
    /// A collection of values of this shape (`Vec<JoinHandle<()>>`), whose
    /// elements a `for` loop binds.
    Each(Box<Shape>),
    /// A lock around a value (`RwLock<File>`, `Mutex<Receiver<T>>`): its
    /// own methods (`read`, `write`, `lock`) are the lock's, and give the
    /// value.
    Guarded(Box<Shape>),
    Unknown,
}

impl Shape {
    pub(super) fn of_made(made: Made) -> Shape {
        let one = |kind: Option<Kind>| kind.map_or(Shape::Unknown, Shape::Kind);
        match made {
            Made::One(kind) => Shape::Kind(kind),
            Made::Pair(a, b) => Shape::Tuple(vec![one(a), one(b)]),
        }
    }

    /// The value after `.method()`: a builder step, a value that stays what
    /// it was (`unwrap`, `clone`, `lock`), or something not followed.
    pub(super) fn after_method(&self, method: &str) -> Shape {
        let index = catalogue::index();
        let keeps = catalogue::KEEP_METHODS.contains(&method);
        match self {
            Shape::Kind(kind) => {
                let key = (*kind, method.to_owned());
                if index.methods.contains_key(&key) {
                    Shape::Unknown
                } else if let Some(to) = index.steps.get(&key) {
                    Shape::Kind(*to)
                } else if keeps {
                    self.clone()
                } else {
                    Shape::Unknown
                }
            }
            Shape::Guarded(inner) if catalogue::UNLOCKS.contains(&method) => (**inner).clone(),
            // A collection's `get` gives an element, a `OnceLock`'s the
            // collection: not followed.
            Shape::Each(_) if catalogue::EACH_METHODS.contains(&method) => self.clone(),
            Shape::Each(_) if keeps && !["get", "get_mut"].contains(&method) => self.clone(),
            Shape::Tuple(_) | Shape::Local(_) | Shape::Guarded(_) if keeps => self.clone(),
            _ => Shape::Unknown,
        }
    }

    /// A lock around a value of this shape.
    pub(super) fn guarded(self) -> Shape {
        match self {
            Shape::Unknown => Shape::Unknown,
            inner => Shape::Guarded(Box::new(inner)),
        }
    }

    /// What a `for` loop over a value of this shape binds.
    pub(super) fn each(&self) -> Shape {
        match self {
            Shape::Each(element) => (**element).clone(),
            _ => Shape::Unknown,
        }
    }

    /// The `i`th element of a tuple.
    pub(super) fn element(&self, i: usize) -> Shape {
        match self {
            Shape::Tuple(elements) => elements.get(i).cloned().unwrap_or(Shape::Unknown),
            _ => Shape::Unknown,
        }
    }
}

/// What a value of type `ty`, written at `place`, is.
pub(super) fn of_type(world: &World, place: Place<'_>, ty: &Ty) -> Shape {
    of_type_at(world, place, ty, 0)
}

fn of_type_at(world: &World, place: Place<'_>, ty: &Ty, depth: usize) -> Shape {
    if depth > 8 {
        return Shape::Unknown;
    }
    match ty {
        Ty::Ref(inner) => of_type_at(world, place, inner, depth + 1),
        Ty::Tuple(elements) => Shape::Tuple(
            elements
                .iter()
                .map(|ty| of_type_at(world, place, ty, depth + 1))
                .collect(),
        ),
        Ty::Path(path, args) => match world.resolve(place, path) {
            Target::Extern(full) => {
                let index = catalogue::index();
                let full = full.join("::");
                if let Some(kind) = index.types.get(&full) {
                    Shape::Kind(*kind)
                } else if index.collections.contains(&full) {
                    match args
                        .first()
                        .map(|element| of_type_at(world, place, element, depth + 1))
                    {
                        None | Some(Shape::Unknown) => Shape::Unknown,
                        Some(element) => Shape::Each(Box::new(element)),
                    }
                } else if index.wrappers.contains(&full) {
                    let inner = args.first().map_or(Shape::Unknown, |inner| {
                        of_type_at(world, place, inner, depth + 1)
                    });
                    if index.locks.contains(&full) {
                        inner.guarded()
                    } else {
                        inner
                    }
                } else {
                    Shape::Unknown
                }
            }
            Target::Type(t) => Shape::Local(t),
            _ => Shape::Unknown,
        },
        Ty::Other => Shape::Unknown,
    }
}

/// The type of field `name` of a struct of the code in view.
pub(super) fn of_field(world: &World, t: TypeId, name: &str) -> Shape {
    let def = &world.types[t];
    match def.fields.get(name) {
        Some(ty) => {
            let place = Place {
                module: def.module,
                blocks: &[],
                self_ty: &UNKNOWN,
            };
            of_type(world, place, ty)
        }
        None => Shape::Unknown,
    }
}

/// What a `static` or `const` of the code in view holds.
pub(super) fn of_static(world: &World, ty: &Ty, module: usize) -> Shape {
    let place = Place {
        module,
        blocks: &[],
        self_ty: &UNKNOWN,
    };
    of_type(world, place, ty)
}
