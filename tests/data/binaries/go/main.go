// A small Go program whose build info (`go version -m`) the inventory reads.
package main

import (
	"fmt"

	"github.com/google/uuid"
)

func main() {
	fmt.Println(uuid.NewSHA1(uuid.NameSpaceURL, []byte("lambda-gate")).String())
}
