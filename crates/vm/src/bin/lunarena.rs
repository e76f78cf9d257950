//! `lunarena` as a native executable (the npm package's CLI calls the same
//! code through the addon).

#[global_allocator]
static ALLOC: lunarena_vm::alloc::Counting = lunarena_vm::alloc::Counting;

fn main() {
    // Arguments that are not UTF-8 are read lossily (as Node's process.argv
    // reads them for the npm CLI) rather than aborting.
    let mut args = std::env::args_os().map(|a| a.to_string_lossy().into_owned());
    let progname = args.next().unwrap_or_else(|| "lunarena".to_string());
    let args: Vec<String> = args.collect();
    std::process::exit(lunarena_vm::cli::main_with_progname(&progname, &args));
}
