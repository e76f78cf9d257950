//! `lunarena` as a native executable (the npm package's CLI calls the same
//! code through the addon).

#[global_allocator]
static ALLOC: lunarena_vm::alloc::Counting = lunarena_vm::alloc::Counting;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    std::process::exit(lunarena_vm::cli::main(&args));
}
