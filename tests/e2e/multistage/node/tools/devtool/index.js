module.exports = { banner: "// built by devtool\n" };
