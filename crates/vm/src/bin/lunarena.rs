//! `lunarena` as a native executable (the npm package's CLI calls the same
//! code through the addon).

#[global_allocator]
static ALLOC: lunarena_vm::alloc::Counting = lunarena_vm::alloc::Counting;

fn main() {
    let mut args = std::env::args();
    let progname = args.next().unwrap_or_else(|| "lunarena".to_string());
    let args: Vec<String> = args.collect();
    std::process::exit(lunarena_vm::cli::main_with_progname(&progname, &args));
}
