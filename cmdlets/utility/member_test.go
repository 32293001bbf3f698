package utility

import "testing"

func TestGenericName(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"System.String", "System.String"},
		{"Microsoft.Exchange.Data.Unlimited`1[[Microsoft.Exchange.Data.ByteQuantifiedSize, Microsoft.Exchange.Data, Version=15.0.0.0, Culture=neutral, PublicKeyToken=31bf3856ad364e35]]",
			"Microsoft.Exchange.Data.Unlimited[Microsoft.Exchange.Data.ByteQuantifiedSize]"},
		{"System.Collections.Generic.KeyValuePair`2[[System.String, mscorlib, Version=4.0.0.0],[System.Object, mscorlib, Version=4.0.0.0]]",
			"System.Collections.Generic.KeyValuePair[System.String,System.Object]"},
	} {
		if got := genericName(tt.in); got != tt.want {
			t.Errorf("genericName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
