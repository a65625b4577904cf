module blog

go 1.22
