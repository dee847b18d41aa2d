use smallvec::SmallVec;

fn main() {
    let mut v: SmallVec<[i64; 2]> = SmallVec::new();
    v.push(time::get_time().sec);
    v.push(atty::is(atty::Stream::Stdout) as i64);
    println!("{:?}", v);
}
