use smallvec::SmallVec;

fn main() {
    let mut v: SmallVec<[u32; 4]> = SmallVec::new();
    for a in std::env::args() {
        v.push(a.len() as u32);
    }
    println!("{} arguments, {} bytes", v.len(), v.iter().sum::<u32>());
}
