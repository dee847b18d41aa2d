use smallvec::SmallVec;

fn main() {
    let mut v: SmallVec<[u32; 4]> = SmallVec::new();
    v.push(time::now());
    println!("{}", v.len());
}
