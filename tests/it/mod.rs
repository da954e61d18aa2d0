mod corpus;
mod gen;
mod privacy;
mod util;
mod validate;
