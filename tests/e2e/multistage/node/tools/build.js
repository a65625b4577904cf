// The build needs the devDependency; the running server must not.
const fs = require("fs");
const { banner } = require("devtool");
fs.mkdirSync("dist", { recursive: true });
fs.writeFileSync("dist/server.js", banner + 'const greet = require("greet");\n' +
  'let dev = "no devtool";\ntry { require.resolve("devtool"); dev = "devtool present"; } catch (e) {}\n' +
  'console.log(greet("world") + " on port " + process.env.PORT);\n');
