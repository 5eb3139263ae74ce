pub fn main(_dir: &str) {
    eprintln!("todo");
}
