package object

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// Decimal is a System.Decimal ([decimal] casts, the d suffix, numbers read
// from JSON), kept as .NET keeps it: a 96-bit unsigned integer mantissa, a
// sign and a scale of 0 to 28 decimal places. The scale belongs to the
// value: 1.50d prints 1.50, and arithmetic follows System.Decimal's rules
// (see [Decimal.Add], [Decimal.Mul], [Decimal.Div]). The zero value is 0.
//
// Decimal values are comparable with ==, which compares the representation:
// 1.5d and 1.50d differ there but not under [Decimal.Cmp].
type Decimal struct {
	lo    uint64
	hi    uint32
	scale uint8
	neg   bool
}

// MaxDecimalScale is the most decimal places a Decimal keeps.
const MaxDecimalScale = 28

// Errors of Decimal arithmetic, worded as .NET's exceptions.
var (
	ErrDecimalOverflow = errors.New("Value was either too large or too small for a Decimal.")
	ErrDivideByZero    = errors.New("Attempted to divide by zero.")
)

// decimalLimit is 2^96: every mantissa is below it.
var decimalLimit = new(big.Int).Lsh(big.NewInt(1), 96)

var bigPow10 = func() [2*MaxDecimalScale + 40]*big.Int {
	var p [2*MaxDecimalScale + 40]*big.Int
	p[0] = big.NewInt(1)
	for i := 1; i < len(p); i++ {
		p[i] = new(big.Int).Mul(p[i-1], big.NewInt(10))
	}
	return p
}()

// pow10 returns 10^n; the result must not be modified.
func pow10(n int) *big.Int {
	if n < len(bigPow10) {
		return bigPow10[n]
	}
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}

// DecimalFromInt returns i as a Decimal with no decimal places.
func DecimalFromInt(i int64) Decimal {
	d, _ := makeDecimal(big.NewInt(i), 0)
	return d
}

// DecimalFromFloat converts a double as .NET's (decimal) cast does: the
// value rounded to 15 significant digits, without trailing zeros, so
// [decimal]0.1 is 0.1 and [decimal](1/3) is 0.333333333333333.
func DecimalFromFloat(f float64) (Decimal, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return Decimal{}, ErrDecimalOverflow
	}
	if f == 0 {
		return Decimal{}, nil
	}
	// d.dddddddddddddde±XX: 15 significant digits.
	s := strconv.FormatFloat(f, 'e', 14, 64)
	mantText, expText, _ := strings.Cut(s, "e")
	exp, err := strconv.Atoi(expText)
	if err != nil {
		return Decimal{}, ErrDecimalOverflow
	}
	digits := strings.Replace(mantText, ".", "", 1)
	m, ok := new(big.Int).SetString(digits, 10)
	if !ok {
		return Decimal{}, ErrDecimalOverflow
	}
	scale := 14 - exp
	for scale > 0 && new(big.Int).Rem(m, bigPow10[1]).Sign() == 0 {
		m.Quo(m, bigPow10[1])
		scale--
	}
	if scale > MaxDecimalScale+15 {
		return Decimal{}, nil
	}
	d, err := makeDecimal(m, scale)
	if d.IsZero() {
		// Too small: a plain 0.
		return Decimal{}, err
	}
	return d, err
}

// ParseDecimal reads a decimal number as .NET's Decimal.Parse does with
// the invariant culture: white space around it, a sign, digits with ","
// group separators, a decimal point and an exponent ("1.5e3"). The scale
// is the number of digits after the point (less the exponent), so "1.50"
// keeps two places. ok is false when s is not such a number or does not
// fit a Decimal.
func ParseDecimal(s string) (Decimal, bool) {
	s = strings.TrimSpace(s)
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	var digits strings.Builder
	frac, exp := 0, 0
	seenDigit, seenPoint := false, false
	i := 0
scan:
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits.WriteByte(c)
			seenDigit = true
			if seenPoint {
				frac++
			}
		case c == ',' && !seenPoint && seenDigit:
		case c == '.' && !seenPoint:
			seenPoint = true
		default:
			break scan
		}
	}
	if !seenDigit {
		return Decimal{}, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		e, err := strconv.Atoi(s[i+1:])
		if err != nil || e > 1000 || e < -1000 {
			return Decimal{}, false
		}
		exp = e
		i = len(s)
	}
	if i != len(s) {
		return Decimal{}, false
	}
	m, _ := new(big.Int).SetString(digits.String(), 10)
	if neg {
		m.Neg(m)
	}
	d, err := makeDecimal(m, frac-exp)
	return d, err == nil
}

// makeDecimal fits m / 10^scale in a Decimal. A negative scale is
// multiplied out; a scale above 28 or a mantissa of 96 bits or more loses
// as few decimal places as needed, rounding half to even (as .NET's
// arithmetic does). It fails when the integer part does not fit.
func makeDecimal(m *big.Int, scale int) (Decimal, error) {
	neg := m.Sign() < 0
	a := new(big.Int).Abs(m)
	if scale < 0 {
		a.Mul(a, pow10(-scale))
		scale = 0
	}
	for k := max(scale-MaxDecimalScale, 0); ; k++ {
		if k > scale {
			return Decimal{}, ErrDecimalOverflow
		}
		r := a
		if k > 0 {
			r = roundHalfEven(a, pow10(k))
		}
		if r.Cmp(decimalLimit) < 0 {
			a, scale = r, scale-k
			break
		}
	}
	d := Decimal{scale: uint8(scale), neg: neg && a.Sign() != 0}
	d.lo = a.Uint64()
	d.hi = uint32(new(big.Int).Rsh(a, 64).Uint64())
	return d, nil
}

// roundHalfEven returns a / b (both non-negative) rounded to the nearest
// integer, ties to even.
func roundHalfEven(a, b *big.Int) *big.Int {
	q, r := new(big.Int).QuoRem(a, b, new(big.Int))
	switch new(big.Int).Lsh(r, 1).Cmp(b) {
	case 1:
		q.Add(q, big.NewInt(1))
	case 0:
		if q.Bit(0) == 1 {
			q.Add(q, big.NewInt(1))
		}
	}
	return q
}

// roundHalfAway returns a / b (both non-negative) rounded to the nearest
// integer, ties away from zero, as .NET's number formatting rounds.
func roundHalfAway(a, b *big.Int) *big.Int {
	q, r := new(big.Int).QuoRem(a, b, new(big.Int))
	if new(big.Int).Lsh(r, 1).Cmp(b) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	return q
}

// mant returns d's signed mantissa: d is mant / 10^Scale.
func (d Decimal) mant() *big.Int {
	m := new(big.Int).SetUint64(uint64(d.hi))
	m.Lsh(m, 64)
	m.Or(m, new(big.Int).SetUint64(d.lo))
	if d.neg {
		m.Neg(m)
	}
	return m
}

// aligned returns the mantissas of d and e at the larger of their scales,
// and that scale.
func aligned(d, e Decimal) (*big.Int, *big.Int, int) {
	s := max(int(d.scale), int(e.scale))
	a := d.mant()
	a.Mul(a, pow10(s-int(d.scale)))
	b := e.mant()
	b.Mul(b, pow10(s-int(e.scale)))
	return a, b, s
}

// Scale returns the number of decimal places d keeps (0-28).
func (d Decimal) Scale() int { return int(d.scale) }

// IsZero reports whether d is zero (at any scale).
func (d Decimal) IsZero() bool { return d.lo == 0 && d.hi == 0 }

// Sign returns -1, 0 or +1.
func (d Decimal) Sign() int {
	switch {
	case d.IsZero():
		return 0
	case d.neg:
		return -1
	}
	return 1
}

// Neg returns -d, with d's scale.
func (d Decimal) Neg() Decimal {
	if !d.IsZero() {
		d.neg = !d.neg
	}
	return d
}

// Abs returns |d|, with d's scale.
func (d Decimal) Abs() Decimal {
	d.neg = false
	return d
}

// Cmp compares the values of d and e (1.5 equals 1.50): -1, 0 or +1.
func (d Decimal) Cmp(e Decimal) int {
	a, b, _ := aligned(d, e)
	return a.Cmp(b)
}

// Add returns d + e. The sum keeps the larger scale (1.5 + 1.25 is 2.75,
// 1.50 + 1 is 2.50); when it does not fit, it loses decimal places.
func (d Decimal) Add(e Decimal) (Decimal, error) {
	a, b, s := aligned(d, e)
	return makeDecimal(a.Add(a, b), s)
}

// Sub returns d - e, with the scale rules of [Decimal.Add].
func (d Decimal) Sub(e Decimal) (Decimal, error) {
	return d.Add(e.Neg())
}

// Mul returns d × e. The product's scale is the sum of the scales (1.50 ×
// 2 is 3.00, 0.1 × 0.1 is 0.01), less what does not fit in 28 places or
// 96 bits, rounded half to even.
func (d Decimal) Mul(e Decimal) (Decimal, error) {
	return makeDecimal(new(big.Int).Mul(d.mant(), e.mant()), int(d.scale)+int(e.scale))
}

// Div returns d / e as .NET divides: a quotient that is exact at the
// dividend's scale less the divisor's keeps that scale (1.00 / 1 is 1.00,
// 3.00 / 1.5 is 2.0); any other is computed to as many places as fit
// (28, or fewer for large values), rounded half to even, then stripped of
// trailing zeros (10 / 4 is 2.5, 1 / 3 is 0.3333333333333333333333333333).
func (d Decimal) Div(e Decimal) (Decimal, error) {
	if e.IsZero() {
		return Decimal{}, ErrDivideByZero
	}
	num, den := d.mant(), e.mant()
	natural := int(d.scale) - int(e.scale)
	lo := max(natural, 0)
	q, r := new(big.Int).QuoRem(new(big.Int).Mul(num, pow10(lo-natural)), den, new(big.Int))
	if r.Sign() == 0 {
		return makeDecimal(q, lo)
	}
	neg := (num.Sign() < 0) != (den.Sign() < 0)
	num.Abs(num)
	den.Abs(den)
	for s := MaxDecimalScale; s >= lo; s-- {
		q := roundHalfEven(new(big.Int).Mul(num, pow10(s-natural)), den)
		if q.Cmp(decimalLimit) >= 0 {
			continue
		}
		for s > 0 && new(big.Int).Rem(q, bigPow10[1]).Sign() == 0 {
			q.Quo(q, bigPow10[1])
			s--
		}
		if neg {
			q.Neg(q)
		}
		return makeDecimal(q, s)
	}
	return Decimal{}, ErrDecimalOverflow
}

// Mod returns the remainder of d / e, as .NET's % does: it has d's sign
// and the larger scale (5.5 % 2 is 1.5); when |d| < |e| it is d itself.
func (d Decimal) Mod(e Decimal) (Decimal, error) {
	if e.IsZero() {
		return Decimal{}, ErrDivideByZero
	}
	if d.Abs().Cmp(e.Abs()) < 0 {
		return d, nil
	}
	a, b, s := aligned(d, e)
	return makeDecimal(a.Rem(a, b), s)
}

// RoundToInt returns d rounded to an integer, ties to even, as
// Convert.ToInt32(decimal) and [int] casts round. ok is false when it does
// not fit an int64.
func (d Decimal) RoundToInt() (int64, bool) {
	a := d.mant()
	neg := a.Sign() < 0
	a.Abs(a)
	q := roundHalfEven(a, pow10(int(d.scale)))
	if neg {
		q.Neg(q)
	}
	if !q.IsInt64() {
		return 0, false
	}
	return q.Int64(), true
}

// Float64 returns the double nearest to d.
func (d Decimal) Float64() float64 {
	f, _ := strconv.ParseFloat(d.text(), 64)
	return f
}

// text is .NET's Decimal.ToString(): every digit of the scale, no
// exponent ("1.50", "-0.001", "100").
func (d Decimal) text() string {
	a := d.mant()
	a.Abs(a)
	if d.neg && !d.IsZero() {
		return "-" + placesText(a, int(d.scale))
	}
	return placesText(a, int(d.scale))
}

// Format prints d as .NET does (see [FormatDecimal]) for %v and %s, so
// fmt shows the number, not the struct.
func (d Decimal) Format(f fmt.State, verb rune) {
	fmt.Fprint(f, d.text())
}

// FormatDecimal formats a decimal as .NET's ToString() does: every place
// of its scale (1.50), no exponent.
func FormatDecimal(d Decimal) string { return d.text() }

// fixed returns d rounded to prec decimal places, ties away from zero, as
// .NET's "F" and "N" formats round: "1.25" at 1 place is "1.3". A value
// that rounds to zero has no minus sign.
func (d Decimal) fixed(prec int) string {
	a := d.mant()
	neg := a.Sign() < 0
	a.Abs(a)
	scale := int(d.scale)
	if prec < scale {
		a = roundHalfAway(a, pow10(scale-prec))
	} else {
		a.Mul(a, pow10(prec-scale))
	}
	if neg && a.Sign() != 0 {
		return "-" + placesText(a, prec)
	}
	return placesText(a, prec)
}

// placesText spells the non-negative a / 10^places with every place.
func placesText(a *big.Int, places int) string {
	digits := a.String()
	if places <= 0 {
		return digits
	}
	if len(digits) <= places {
		digits = strings.Repeat("0", places-len(digits)+1) + digits
	}
	return digits[:len(digits)-places] + "." + digits[len(digits)-places:]
}

// shift returns d × 10^n for n >= 0 (the percent formats' × 100), kept
// exactly: the scale goes down by n, and any further digits are added.
func (d Decimal) shift(n int) Decimal {
	if int(d.scale) >= n {
		d.scale -= uint8(n)
		return d
	}
	r, err := makeDecimal(new(big.Int).Mul(d.mant(), pow10(n-int(d.scale))), 0)
	if err != nil {
		return d
	}
	return r
}

// ToDecimal converts v as a [decimal] cast does: numbers convert (a double
// rounded to 15 significant digits), strings are parsed keeping their
// places ("1.50" is 1.50), $null is 0.
func ToDecimal(v any) (Decimal, error) {
	switch x := v.(type) {
	case Decimal:
		return x, nil
	case nil:
		return Decimal{}, nil
	case int:
		return DecimalFromInt(int64(x)), nil
	case int64:
		return DecimalFromInt(x), nil
	case float64:
		d, err := DecimalFromFloat(x)
		if err != nil {
			return d, &ConversionError{Value: v, Type: "System.Decimal", Reason: err.Error()}
		}
		return d, nil
	case string:
		if d, ok := ParseDecimal(x); ok {
			return d, nil
		}
	}
	n, err := ToNumber(v)
	if err != nil {
		if ce, ok := err.(*ConversionError); ok {
			ce.Type = "System.Decimal"
		}
		return Decimal{}, err
	}
	switch x := n.(type) {
	case Decimal, int, int64, float64:
		return ToDecimal(x)
	}
	return Decimal{}, &ConversionError{Value: v, Type: "System.Decimal"}
}

// Rounding modes of Round, as .NET's MidpointRounding and the directed
// roundings of Math.Floor, Math.Ceiling and Math.Truncate.
const (
	RoundHalfEven = iota // Math.Round's default (banker's rounding)
	RoundHalfAway        // MidpointRounding.AwayFromZero
	RoundFloor           // toward negative infinity
	RoundCeiling         // toward positive infinity
	RoundTruncate        // toward zero
)

// Round returns d with at most places decimal places (0-28), rounded by
// mode. A value that already has no more places is returned as it is,
// keeping its scale, as Math.Round(decimal, int) does.
func (d Decimal) Round(places, mode int) Decimal {
	places = min(max(places, 0), MaxDecimalScale)
	if int(d.scale) <= places {
		return d
	}
	a := d.mant()
	neg := a.Sign() < 0
	a.Abs(a)
	div := pow10(int(d.scale) - places)
	var q *big.Int
	switch mode {
	case RoundHalfAway:
		q = roundHalfAway(a, div)
	case RoundHalfEven:
		q = roundHalfEven(a, div)
	default:
		var r big.Int
		q, _ = new(big.Int).QuoRem(a, div, &r)
		if r.Sign() != 0 && ((mode == RoundFloor && neg) || (mode == RoundCeiling && !neg)) {
			q.Add(q, big.NewInt(1))
		}
	}
	if neg {
		q.Neg(q)
	}
	r, _ := makeDecimal(q, places) // fewer digits than d: always fits
	return r
}

// Parsed decimal bounds, as [decimal]::MaxValue and MinValue.
var (
	DecimalMax, _ = ParseDecimal("79228162514264337593543950335")
	DecimalMin    = DecimalMax.Neg()
)
