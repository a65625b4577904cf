fn main() {
    let who = std::env::args().nth(1).unwrap_or_else(|| "nobody".to_string());
    println!("hello {} from rust", who);
}
