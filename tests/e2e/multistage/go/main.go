package main

import (
	"fmt"
	"os"
	"strings"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "--version" {
		fmt.Println("hello 1.0")
		return
	}
	// read at run time, relative to the WORKDIR: the split must carry templates/ over
	b, err := os.ReadFile("templates/greeting.txt")
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Printf("%s from %s\n", strings.TrimSpace(string(b)), os.Getenv("APP_NAME"))
}
