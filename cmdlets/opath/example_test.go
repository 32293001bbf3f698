package opath_test

import (
	"fmt"
	"strings"

	"exsh/cmdlets/opath"
)

func ExampleCompile() {
	match, err := opath.Compile("DeliveryType -eq 'SmtpDeliveryToMailbox' -and MessageCount -ge 10")
	if err != nil {
		fmt.Println(err)
		return
	}
	queue := map[string]any{"deliverytype": "SmtpDeliveryToMailbox", "messagecount": 12}
	get := func(p string) (any, bool) { v, ok := queue[strings.ToLower(p)]; return v, ok }
	fmt.Println(match(get))

	_, err = opath.CompileFor("Colour -eq 'red'", []string{"Status", "MessageCount"})
	fmt.Println(err)
	// Output:
	// true
	// "Colour" is not a recognized filterable property. For a list of recognized filterable properties, see the command help.
	// "Colour -eq 'red'" at position 1.
}
