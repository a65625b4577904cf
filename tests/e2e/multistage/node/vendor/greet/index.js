module.exports = (who) => `hello ${who} from node ${process.versions.node.split(".")[0]}`;
