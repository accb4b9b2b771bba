//! The catalogues are compiled in (`static_loader!`): a new `locales/<code>/`
//! directory must rebuild the crate, which Cargo learns from this line.
fn main() {
    println!("cargo:rerun-if-changed=locales");
}
