//! Byte-for-byte comparisons with the reference interpreter: scripts in
//! `tests/lua/diff/` exercise corners real programs print (number
//! formatting, error messages, syntax errors, library results), with the
//! expected output made by `regen.sh` with lua5.4.

#[path = "lua/harness.rs"]
#[allow(dead_code)]
mod harness;

use harness::check_script;
use lunarena_vm::Libs;

#[test]
fn numbers() {
    check_script(Libs::SAFE, "diff/numbers");
}

#[test]
fn error_messages() {
    check_script(Libs::ALL, "diff/errors");
}

#[test]
fn syntax_errors() {
    check_script(Libs::SAFE, "diff/syntax");
}

#[test]
fn values() {
    check_script(Libs::ALL, "diff/values");
}

#[test]
fn names_in_error_messages() {
    check_script(Libs::ALL, "diff/names");
}

#[test]
fn loops_and_number_keys() {
    check_script(Libs::ALL, "diff/loops");
}

#[test]
fn tracebacks() {
    check_script(Libs::ALL, "diff/tracebacks");
}

#[test]
fn math_and_coercion() {
    check_script(Libs::ALL, "diff/mathops");
}

#[test]
fn string_format() {
    check_script(Libs::ALL, "diff/format");
}

#[test]
fn string_table_utf8_libraries() {
    check_script(Libs::ALL, "diff/strlib");
}

#[test]
fn coroutines_goto_load_os() {
    check_script(Libs::ALL, "diff/misc");
}

#[test]
fn library_argument_errors() {
    check_script(Libs::ALL, "diff/arguments");
}

#[test]
fn debug_info_fields_and_transfers() {
    check_script(Libs::ALL, "diff/debuginfo");
}

#[test]
fn interpreter_fast_paths() {
    check_script(Libs::ALL, "diff/fastpaths");
}

#[test]
fn conditional_break_lines() {
    check_script(Libs::ALL, "diff/break_lines");
}

#[test]
fn names_of_called_values_and_bad_arguments() {
    check_script(Libs::ALL, "diff/callnames");
}

#[test]
fn message_handlers() {
    check_script(Libs::ALL, "diff/handlers");
}

#[test]
fn nesting_limits_of_the_parser() {
    check_script(Libs::ALL, "diff/nesting");
}

#[test]
fn hook_events_and_counts() {
    check_script(Libs::ALL, "diff/hooks");
}

#[test]
fn arithmetic_metamethod_calls() {
    check_script(Libs::ALL, "diff/metamethod_calls");
}

#[test]
fn index_and_comparison_metamethod_calls() {
    check_script(Libs::ALL, "diff/metamethod_calls2");
}

#[test]
fn string_arithmetic() {
    check_script(Libs::ALL, "diff/string_arith");
}

#[test]
fn less_equal_falls_back_to_less_than() {
    check_script(Libs::ALL, "diff/le_by_lt");
}

#[test]
fn coroutine_argument_checks() {
    check_script(Libs::SAFE, "diff/coroutine_args");
}
