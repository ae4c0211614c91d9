"""Synthetic SHG members for the de-duplication benchmark (an index of up to 1 crore members).

A plain, deterministic stream of :class:`SynthMember` records; hashing identifiers and loading
a database are left to the caller.

Layout. The state has ``Geography`` districts → blocks → gram panchayats → villages, with
LGD-like numeric codes (district "501", block "5001", panchayat "200001", village "600001").
Members are cut into contiguous *chunks*, one per populated panchayat: at 1 crore every
panchayat is populated (~470 members, ~18,800 a block); below ~3.4 M members only every n-th
panchayat is, so that a populated village still has a few SHGs. Inside a chunk members come
SHG by SHG (10–15 each), and SHGs village by village.

Determinism and slicing. Everything random in a chunk comes from one ``random.Random`` seeded
with (seed, total, chunk), and identifiers are bijections of the member's global index, so
``generate(total, start=a, stop=b)`` builds only the chunks overlapping ``[a, b)`` and yields
exactly the members the full run yields there.

Uniqueness. Aadhaar, bank account (its last 10 digits) and mobile are keyed permutations of
the global member index (mobile: of the household's first member), voter IDs a per-block letter
series with a permutation of the index, so none collide by chance — only the planted duplicates
repeat one (good for totals up to 10^10 members, far beyond a crore).

Households. 1–3 members of one village, in *different* SHGs (NRLM admits one woman per
household to an SHG), sharing a mobile, a household code and a family name.

Planted duplicates (``planted_rate`` of members, uniform over the state): a later member copies
one thing of an earlier member of the same panchayat and a different, earlier SHG:

* ``aadhaar`` / ``bank`` / ``voter``: the identifier, sometimes with formatting noise (spaces,
  dashes, lower case, leading zeros of the account dropped — ``normalise_account`` of
  ``services.profiles.identifiers`` keeps them, so a matcher must strip them to find those); in
  70% of them the same woman's name and relative's name, possibly spelled a little differently,
  otherwise the member's own name (an operator reusing someone's number);
* ``name``: a variant of the name and of the relative's name, every identifier different;
* ``mobile``: the mobile number and a variant of the name.

Regions. Each district gets a naming region (Hindi belt, Bengal/Assam, Odisha, Telugu, Tamil,
Kerala, Karnataka, Maharashtra, Gujarat) with its own name formats and a share of Muslim
households; common spellings coexist in the base data (Laxmi and Lakshmi, Sita and Seeta).

    python -m bench.dedup_synth [--members 500000] [--total 10000000] [--seed 7]
"""

from __future__ import annotations

import argparse
import functools
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from services.profiles.identifiers import verhoeff_check_digit

# --- records ----------------------------------------------------------------------------------


@dataclass(slots=True)
class SynthMember:
    """One member; identifiers as typed (a planted copy may carry formatting noise)."""

    member_id: uuid.UUID
    shg_id: uuid.UUID
    district: str
    block: str
    panchayat: str
    village: str
    name: str
    relative_name: str
    household_code: str
    aadhaar: str
    bank_account: str
    ifsc: str
    voter_id: str
    mobile: str
    status: str
    planted: str
    duplicate_of: uuid.UUID | None


@dataclass(frozen=True, slots=True)
class Geography:
    """Sizes chosen so that 1 crore members look like a large state."""

    districts: int = 38
    blocks_per_district: int = 14
    panchayats_per_block: int = 40
    villages_per_panchayat: int = 4

    @property
    def blocks(self) -> int:
        return self.districts * self.blocks_per_district

    @property
    def panchayats(self) -> int:
        return self.blocks * self.panchayats_per_block


@dataclass(frozen=True, slots=True)
class BlockSlice:
    """A block's members are ``generate(total, start=start, stop=stop)``."""

    district: str
    block: str
    start: int
    stop: int

    @property
    def members(self) -> int:
        return self.stop - self.start


DEFAULT_GEOGRAPHY = Geography()
PLANTED_KINDS = ("aadhaar", "bank", "voter", "name", "mobile")

# A populated panchayat gets at least this many members (~3 SHGs in each of its villages).
MIN_CHUNK = 160

AADHAAR_MISSING = 0.08
BANK_MISSING = 0.15
VOTER_MISSING = 0.30
MOBILE_MISSING = 0.10  # per household: the whole household has no phone

# --- deterministic integer helpers ------------------------------------------------------------

_M64 = (1 << 64) - 1


def _mix(x: int) -> int:
    """splitmix64 finaliser: a cheap, well-spread hash of an integer."""
    x = (x + 0x9E3779B97F4A7C15) & _M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _M64
    return x ^ (x >> 31)


Perm = Callable[[int], int]


def _perm(seed: int, salt: int, m: int) -> Perm:
    """A keyed bijection of [0, m): an invertible multiply/xorshift mix on the smallest power of
    two above m, applied again while the result is >= m ("cycle walking"). Distinct indexes never
    collide, and unlike an affine map every digit of the result looks random."""
    h = _mix((seed & _M64) ^ salt)
    bits = (m - 1).bit_length()
    mask = (1 << bits) - 1
    key, c1, c2 = h & mask, (_mix(h) & mask) | 1, (_mix(h + 1) & mask) | 1
    s1, s2 = bits // 2 + 1, bits // 3 + 1

    def permute(x: int) -> int:
        while True:
            x = ((x ^ key) * c1) & mask
            x ^= x >> s1
            x = (x * c2) & mask
            x ^= x >> s2
            if x < m:
                return x

    return permute


# --- Verhoeff, table-driven -------------------------------------------------------------------
# The check digit is the inverse of a product in the dihedral group D5 of one element per
# (position, digit); grouping three digits per table makes it 4 lookups instead of 11.

_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)
_INV = "0432156789"


def _verhoeff_table(first_pos: int, digits: int) -> tuple[int, ...]:
    """Group element of ``digits`` digits whose lowest sits at ``first_pos`` (0 = rightmost of
    the 11-digit body; the check digit will be position 0 of the 12)."""
    out = []
    for value in range(10**digits):
        c = 0
        for k in range(digits):
            c = _D[c][_P[(first_pos + k + 1) % 8][value // 10**k % 10]]
        out.append(c)
    return tuple(out)


_VT0 = _verhoeff_table(0, 3)
_VT1 = _verhoeff_table(3, 3)
_VT2 = _verhoeff_table(6, 3)
_VT3 = _verhoeff_table(9, 2)


def aadhaar_from_body(body: int) -> str:
    """The 11-digit ``body`` with its Verhoeff check digit appended (same digit as
    ``verhoeff_check_digit``)."""
    c = _D[_D[_D[_VT0[body % 1000]][_VT1[body // 1000 % 1000]]][_VT2[body // 1000000 % 1000]]][
        _VT3[body // 1000000000]
    ]
    return f"{body}{_INV[c]}"


# Fail at import, not in a benchmark, if the fast version ever disagrees with the service's.
assert all(
    aadhaar_from_body(b)[-1] == verhoeff_check_digit(str(b))
    for b in (20000000000, 23456789012, 99999999999, 51234098765, 80000000001)
)

# --- names ------------------------------------------------------------------------------------


ZIPF_TABLE = 1024


def _w(text: str) -> tuple[str, ...]:
    """A lookup table of the comma-separated names (a name may have spaces: "Venkata Lakshmi"),
    each repeated in proportion to 1/(rank + len/4): the first names of a list are about five
    times as common as the last, so "Sunita Devi" is frequent and exact name collisions happen as
    in real registers. Distinct names: ``set(table)``."""
    names = [s.strip() for s in text.split(",") if s.strip()]
    c = max(1.0, len(names) / 4)
    weights = [1 / (rank + c) for rank in range(len(names))]
    scale = ZIPF_TABLE / sum(weights)
    table: list[str] = []
    acc = 0.0
    for name, w in zip(names, weights, strict=True):
        acc += w * scale
        table.extend([name] * (round(acc) - len(table)))
    return tuple(table)


def _words(text: str) -> list[str]:
    return text.split()


# Most common first.
HINDI_WOMEN = _w(
    "Sunita, Rekha, Anita, Geeta, Laxmi, Sita, Kamla, Savitri, Lakshmi, Pushpa, Meena, Radha, "
    "Saroj, Shanti, Usha, Asha, Kiran, Poonam, Manju, Sushila, Rani, Durga, Parvati, Kavita, "
    "Neelam, Sarita, Mamta, Seema, Gayatri, Sangeeta, Rinki, Pinki, Babita, Sudha, Nirmala, "
    "Urmila, Kusum, Vimla, Shakuntala, Bhagwati, Champa, Phoolmati, Sarla, Renu, Anjali, "
    "Priyanka, Pooja, Jyoti, Malti, Rukmini, Yashoda, Tulsi, Chanda, Basanti, Indira, Kalpana, "
    "Sharda, Lalita, Hemlata, Sumitra, Suman, Rita, Reena, Guddi, Munni, Shobha, Kanchan, Shashi, "
    "Uma, Pramila, Kaushalya, Sheela, Maya, Dhaniya, Lilawati, Kalawati, Gita, Seeta, Punam, "
    "Kamala, Bimla, Puja, Sangita, Rajkumari, Ramkali, Sonam, Khushboo, Nisha, Preeti, Sapna, "
    "Neha, Archana, Vandana, Ramwati, Sunaina"
)
HINDI_MEN = _w(
    "Ramesh, Suresh, Rajesh, Mahesh, Dinesh, Mukesh, Rakesh, Santosh, Manoj, Vinod, Anil, Sunil, "
    "Ashok, Vijay, Ajay, Sanjay, Raju, Shiv, Ram, Shyam, Mohan, Hari, Govind, Kishan, Jagdish, "
    "Lalit, Raghunath, Bhola, Pappu, Munna, Bablu, Ganesh, Umesh, Naresh, Dharmendra, Virendra, "
    "Surendra, Rajendra, Mahendra, Jitendra, Pramod, Arvind, Rampal, Birju, Kamlesh, Brijesh, "
    "Awadhesh, Chhotelal, Shivnath, Baijnath, Ramdas, Dayaram, Sitaram, Radheshyam, Ramprasad, "
    "Om Prakash, Ved Prakash, Jai Prakash, Ram Kishor, Ram Naresh"
)
HINDI_SURNAMES = _w(
    "Yadav, Singh, Verma, Gupta, Sharma, Maurya, Pal, Prajapati, Chauhan, Kushwaha, Nishad, "
    "Rajbhar, Saroj, Gautam, Jatav, Patel, Tiwari, Mishra, Pandey, Shukla, Ahirwar, Kori, Pasi, "
    "Lodhi, Saini, Rathore, Baghel, Mahto, Paswan, Manjhi, Sahni, Thakur, Chaudhary, Meena, "
    "Gurjar, Kumhar"
)
HINDI_MIDDLES = _w("Kumar, Kumar, Kumar, Prasad, Lal, Ram, Singh, Nath")
# Men's names that already end in one of the middles ("Chhotelal", not "Chhotelal Lal").
_COMPOUND_ENDINGS = ("lal", "ram", "prasad", "nath", "das", "shyam", "pal")

EAST_WOMEN = _w(
    "Mousumi, Anjali, Sima, Shila, Mitali, Rina, Rita, Tumpa, Puja, Sumitra, Kakali, Shampa, "
    "Moumita, Jhuma, Soma, Dipali, Chhaya, Lipika, Namita, Sabita, Kabita, Archana, Bandana, "
    "Papiya, Rupali, Sonali, Anima, Bina, Jyotsna, Malati, Pratima, Laxmi, Lakshmi, Minati, "
    "Junmoni, Rashmi, Ritumoni, Jonali, Nirmali, Pranita, Dipika, Bornali, Nilima, Mamoni"
)
EAST_MEN = _w(
    "Subrata, Tapan, Swapan, Biswajit, Sukumar, Gopal, Nitai, Haripada, Shankar, Prasanta, "
    "Dilip, Pradip, Tarun, Uttam, Bapi, Kartick, Nimai, Bablu, Ashok, Amal, Bimal, Kamal, "
    "Nirmal, Sanjib, Ratan, Madan, Gautam, Debasish, Anup, Mrinal, Dipankar, Pranab, Hemanta, "
    "Dhiren, Jiten, Bhupen, Nripen, Pabitra"
)
EAST_SURNAMES = _w(
    "Das, Barman, Mondal, Roy, Ghosh, Sarkar, Biswas, Pal, Saha, Dey, Mandal, Haldar, Bag, Bauri, "
    "Mahato, Hansda, Murmu, Soren, Tudu, Kalita, Bora, Deka, Gogoi, Saikia, Baruah, Nath, Rabha, "
    "Boro"
)

ODIA_WOMEN = _w(
    "Sasmita, Sabita, Kabita, Jharana, Pramila, Sujata, Mamata, Sunita, Minati, Bijayalaxmi, "
    "Swarnalata, Tapaswini, Sanjukta, Gitanjali, Rashmita, Sarojini, Kuni, Laxmipriya, "
    "Sulochana, Basanti, Puspa, Kalpana, Manorama, Reena, Sebati, Pravati, Nirupama, Jayanti, "
    "Banita, Subhadra, Laxmi"
)
ODIA_MEN = _w(
    "Prasanta, Pradeep, Bijay, Sanjay, Ramesh, Santosh, Sudhir, Pabitra, Bhagaban, Biswanath, "
    "Kailash, Dhaneswar, Gobinda, Jagannath, Purna, Akshaya, Bhikari, Surendra, Trinath, "
    "Debendra, Kartik, Manas, Niranjan, Ranjan, Sarat"
)
ODIA_SURNAMES = _w(
    "Behera, Sahoo, Nayak, Pradhan, Mohanty, Das, Swain, Jena, Sethi, Majhi, Rout, Barik, "
    "Mallick, Panda, Sahu, Biswal, Parida, Bhoi, Naik, Dalai, Mohapatra, Samal, Muduli, Hembram, "
    "Munda"
)

TELUGU_WOMEN = _w(
    "Lakshmi, Padma, Sujatha, Kavitha, Sunitha, Venkata Lakshmi, Swapna, Sailaja, Anitha, "
    "Vijaya, Jyothi, Sarada, Nagamani, Rajeswari, Satyavathi, Ramadevi, Mangamma, Yellamma, "
    "Pochamma, Sridevi, Rani, Vijaya Lakshmi, Bhagya Lakshmi, Naga Lakshmi, Durga Bhavani, "
    "Anasuya, Renuka, Sarojini, Laxmi, Saritha, Aruna, Radha, Manga, Suseela"
)
TELUGU_MEN = _w(
    "Venkata Ramana, Srinivas, Srinivasa Rao, Ramana, Nagaraju, Venkatesh, Suresh, Ramu, "
    "Satyanarayana, Srinu, Yadagiri, Mallesh, Ramesh, Raju, Krishna, Anjaneyulu, Venkateswarlu, "
    "Narasimha, Ravi, Prasad, Koteswara Rao, Appa Rao, Chinna Rao, Balaiah, Ramaiah, Narayana, "
    "Mallaiah, Yadaiah, Pentaiah, Sambaiah, Shankar, Babu Rao, Subba Rao, Sreenu"
)
TELUGU_SURNAMES = _w(
    "Kondapalli, Bandi, Gorrepati, Kotha, Gandham, Boddu, Pilli, Chinthala, Nallapu, Vemula, "
    "Kurra, Mekala, Jangam, Palla, Thota, Yerra, Madasu, Peddi, Dasari, Gajula, Katta, Bollam"
)

TAMIL_WOMEN = _w(
    "Selvi, Muthulakshmi, Lakshmi, Kalaiselvi, Tamilselvi, Pandiammal, Chitra, Meena, "
    "Saraswathi, Jayanthi, Mahalakshmi, Valli, Amudha, Revathi, Kavitha, Malar, Shanthi, Gomathi, "
    "Parvathi, Rajeswari, Mariammal, Karpagam, Ponni, Sumathi, Vijaya, Dhanalakshmi, "
    "Bhuvaneswari, Indira, Sasikala, Chellammal, Muniyammal, Kannagi, Jothi, Anandhi, Uma, Latha"
)
TAMIL_MEN = _w(
    "Murugan, Ramasamy, Subramani, Kannan, Selvam, Arumugam, Perumal, Palanisamy, Muthu, "
    "Rajendran, Ganesan, Velu, Sekar, Mani, Raja, Kumar, Senthil, Saravanan, Anbalagan, "
    "Karuppasamy, Chinnasamy, Murugesan, Pandian, Sivakumar, Balu, Krishnan, Govindaraj, "
    "Elumalai, Munusamy, Periyasamy, Ayyappan, Natarajan"
)

KERALA_WOMEN = _w(
    "Sreeja, Bindu, Sindhu, Sheeba, Latha, Sreedevi, Ambika, Shylaja, Rajani, Suma, Mini, Geetha, "
    "Usha, Anitha, Jaya, Prasanna, Omana, Thankamma, Remya, Sajitha, Sheeja, Sobha, Radhamani, "
    "Santha, Kumari, Vasanthi, Leela, Chandrika, Deepa, Divya"
)
KERALA_MEN = _w(
    "Suresh, Rajan, Mohanan, Sasi, Babu, Ravi, Gopalan, Krishnan, Vijayan, Anil Kumar, Shaji, "
    "Biju, Sajeev, Sasidharan, Balan, Sudheer, Ramachandran, Unnikrishnan, Prakash, Santhosh, "
    "Satheesan, Dinesan, Pradeep"
)
KERALA_CHRISTIAN_WOMEN = _w(
    "Mary, Lissy, Mariyamma, Saramma, Annamma, Mercy, Elsy, Rosamma, Aleyamma, Sherly, Jessy, "
    "Molly, Gracy"
)
KERALA_CHRISTIAN_MEN = _w(
    "Joseph, Thomas, Varghese, Mathew, George, Kurian, Chacko, Baby, Jose, Sunny, Antony, Johnson"
)

KANNADA_WOMEN = _w(
    "Lakshmamma, Gowramma, Manjula, Savitha, Shobha, Geetha, Kavitha, Sumitra, Nagamma, "
    "Yellamma, Renuka, Mahadevi, Shantamma, Bhagya, Roopa, Pushpa, Jayamma, Parvathamma, Sharada, "
    "Shilpa, Netravathi, Kamalamma, Hanumakka, Gangamma, Rathna, Sunanda, Vanaja, Mangala, "
    "Lalitha, Shashikala, Padma, Lakshmi"
)
KANNADA_MEN = _w(
    "Ramesh, Manjunath, Nagaraj, Basavaraj, Mallikarjun, Shivanna, Ramappa, Hanumanthappa, "
    "Siddappa, Mahadevappa, Krishnappa, Raju, Venkatesh, Shankar, Ravi, Mahesh, Prakash, "
    "Chandrashekar, Lokesh, Puttaswamy, Siddaraju, Boraiah, Ningappa, Yallappa, Shivakumar, "
    "Thimmappa"
)
KANNADA_SURNAMES = _w(
    "Gowda, Naik, Patil, Shetty, Hegde, Reddy, Nayak, Hosamani, Talawar, Madar, Lamani, Poojari, "
    "Kamble, Hiremath, Kuri, Badiger"
)

MARATHI_WOMEN = _w(
    "Sunita, Sangita, Manisha, Savita, Vaishali, Jayashree, Ujwala, Mangal, Shobha, Suvarna, "
    "Rupali, Swati, Archana, Kavita, Sarika, Lata, Alka, Mangala, Usha, Chhaya, Pramila, Nanda, "
    "Asha, Shalini, Sindhu, Kamal, Reshma, Pushpa, Sunanda, Yogita, Priyanka, Jyoti, Anita, "
    "Laxmi, Kalpana, Surekha"
)
MARATHI_MEN = _w(
    "Ramesh, Suresh, Santosh, Sanjay, Vijay, Dnyaneshwar, Balasaheb, Sopan, Dattatray, Vitthal, "
    "Maruti, Shivaji, Sambhaji, Ganpat, Pandurang, Namdev, Tukaram, Ashok, Anil, Sunil, Prakash, "
    "Dilip, Raju, Baban, Bhausaheb, Vishnu, Dagdu, Kisan, Rajendra, Nitin, Sachin, Yashwant"
)
MARATHI_SURNAMES = _w(
    "Pawar, Jadhav, Shinde, Patil, Kamble, More, Gaikwad, Chavan, Deshmukh, Kale, Salunkhe, "
    "Bhosale, Mane, Kadam, Thorat, Wagh, Sonawane, Shelke, Waghmare, Bhise, Londhe, Kharat, Gavit"
)

# Gujarati names are shown with "ben" / "bhai" appended ("Hansaben", "Rameshbhai").
GUJARATI_WOMEN = _w(
    "Hansa, Manjula, Kokila, Jashoda, Geeta, Nirmala, Savita, Daxa, Ramila, Bhanu, Sharda, Indu, "
    "Champa, Kanta, Tara, Lila, Jyotsna, Usha, Sonal, Hetal, Bhavna, Varsha, Sangita, Shanta, "
    "Jaya, Mina, Pushpa, Rekha, Kailas, Gita, Laxmi, Kamla, Jasu, Vimla"
)
GUJARATI_MEN = _w(
    "Ramesh, Suresh, Dinesh, Mahesh, Bharat, Kanti, Mukesh, Jayanti, Pravin, Naran, Bhikha, "
    "Raman, Vinod, Kirit, Ashok, Arvind, Babu, Kalu, Vitthal, Jivan, Mohan, Rajesh, Hasmukh, "
    "Dilip, Bhupat, Manilal, Govind, Amrut, Kishor, Lalji, Mansukh, Natvar, Ranchhod, Jashvant"
)
GUJARATI_SURNAMES = _w(
    "Patel, Parmar, Solanki, Chauhan, Makwana, Vaghela, Rathod, Vasava, Damor, Bariya, Thakor, "
    "Desai, Prajapati, Rabari, Gamit, Chaudhari, Bharwad, Koli, Vankar, Zala"
)

MUSLIM_WOMEN = _w(
    "Rubina, Shabana, Fatima, Nasreen, Shaheen, Salma, Sultana, Zarina, Rehana, Reshma, Ayesha, "
    "Khadija, Mumtaz, Nazma, Parveen, Farzana, Sabina, Rabia, Hasina, Noorjahan, Jahanara, Amina, "
    "Sakina, Asma, Yasmin, Tabassum, Shamim, Rukhsana, Naseema, Najma, Nasrin, Sahana, Hajra, "
    "Jamila, Shakila, Kulsum, Zubeda"
)
MUSLIM_MEN = _w(
    "Mohammad, Abdul, Rahim, Salim, Rafiq, Anwar, Iqbal, Javed, Aslam, Akbar, Yusuf, Ismail, "
    "Ibrahim, Nasir, Jamal, Kabir, Hanif, Rashid, Majid, Farooq, Imran, Irfan, Shafi, Sirajul, "
    "Nurul, Mustafa, Ayub, Habib, Kalam, Mukhtar, Shamsher, Rahman"
)
KERALA_MUSLIM_WOMEN = _w(
    "Fathima, Sainaba, Khadeeja, Ramlath, Suhara, Nabeesa, Aysha, Safiya, Jameela, Sajina, "
    "Fathima, Shahida"
)
KERALA_MUSLIM_MEN = _w(
    "Basheer, Ashraf, Abdul Rahman, Mohammed, Hamsa, Moideen, Abdul Kareem, Kunhi Mohammed, "
    "Aboobacker, Musthafa, Abdul Salam, Shihab"
)
NORTH_MUSLIM_SURNAMES = _w("Ansari, Khan, Qureshi, Siddiqui, Mansuri, Saifi, Idrisi, Shah")
INITIALS = tuple("ABCDGJKMNPRSTV")


Rand = Callable[[], float]


def _pick(seq: tuple[str, ...], r: Rand) -> str:
    return seq[int(r() * len(seq))]


def _family_hindi(r: Rand, muslim: bool) -> str:
    return _pick(NORTH_MUSLIM_SURNAMES, r) if muslim else _pick(HINDI_SURNAMES, r)


def _person_hindi(r: Rand, fam: str, muslim: bool) -> tuple[str, str]:
    if muslim:
        u = r()
        suffix = "Khatoon" if u < 0.3 else "Khatun" if u < 0.45 else "Begum" if u < 0.75 else "Bano"
        man = _pick(MUSLIM_MEN, r)
        rel = f"Md. {man}" if r() < 0.25 else f"{man} {fam}"
        return f"{_pick(MUSLIM_WOMEN, r)} {suffix}", rel
    u = r()
    first = _pick(HINDI_WOMEN, r)
    name = f"{first} Devi" if u < 0.45 else f"{first} Kumari" if u < 0.6 else f"{first} {fam}"
    man = _pick(HINDI_MEN, r)
    u = r()
    if u < 0.5:
        rel = f"{man} {fam}"
    elif u < 0.85 and " " not in man and not man.endswith(_COMPOUND_ENDINGS):
        rel = f"{man} {_pick(HINDI_MIDDLES, r)}"
    else:
        rel = f"{man} Kumar {fam}"
    return name, rel


def _family_east(r: Rand, muslim: bool) -> str:
    if muslim:
        return _pick(("Sheikh", "Mondal", "Ali", "Hossain", "Mia", "Ahmed"), r)
    return _pick(EAST_SURNAMES, r)


def _person_east(r: Rand, fam: str, muslim: bool) -> tuple[str, str]:
    if muslim:
        u = r()
        suffix = "Khatun" if u < 0.45 else "Bibi" if u < 0.8 else "Begum"
        man = _pick(MUSLIM_MEN, r)
        u = r()
        rel = f"Sk. {man}" if u < 0.2 else f"Md. {man}" if u < 0.4 else f"{man} {fam}"
        return f"{_pick(MUSLIM_WOMEN, r)} {suffix}", rel
    first = _pick(EAST_WOMEN, r)
    u = r()
    name = f"{first} Devi" if u < 0.1 else f"{first} Rani {fam}" if u < 0.15 else f"{first} {fam}"
    return name, f"{_pick(EAST_MEN, r)} {fam}"


def _family_odia(r: Rand, muslim: bool) -> str:
    return _pick(("Khan", "Ali", "Sheikh"), r) if muslim else _pick(ODIA_SURNAMES, r)


def _person_odia(r: Rand, fam: str, muslim: bool) -> tuple[str, str]:
    if muslim:
        suffix = "Bibi" if r() < 0.5 else "Begum"
        return f"{_pick(MUSLIM_WOMEN, r)} {suffix}", f"{_pick(MUSLIM_MEN, r)} {fam}"
    first = _pick(ODIA_WOMEN, r)
    name = f"{first} Devi" if r() < 0.06 else f"{first} {fam}"
    return name, f"{_pick(ODIA_MEN, r)} {fam}"


def _family_telugu(r: Rand, muslim: bool) -> str:
    return "Shaik" if muslim else _pick(TELUGU_SURNAMES, r)


def _person_telugu(r: Rand, fam: str, muslim: bool) -> tuple[str, str]:
    if muslim:
        u = r()
        first = _pick(MUSLIM_WOMEN, r)
        name = f"Shaik {first}" if u < 0.5 else f"{first} Begum" if u < 0.8 else f"{first} Bee"
        return name, f"Shaik {_pick(MUSLIM_MEN, r)}"
    # Telugu puts the family name first, mostly as an initial: "K. Lakshmi".
    first = _pick(TELUGU_WOMEN, r)
    ini = fam[0]
    u = r()
    if u < 0.55:
        name = f"{ini}. {first}"
    elif u < 0.75:
        name = f"{fam} {first}"
    elif u < 0.9:
        name = first
    else:
        name = f"{first} {ini}"
    man = _pick(TELUGU_MEN, r)
    u = r()
    rel = f"{ini}. {man}" if u < 0.45 else f"{fam} {man}" if u < 0.75 else man
    return name, rel


def _family_tamil(r: Rand, muslim: bool) -> str:
    return ""  # Tamil names carry an initial of the father's or husband's name, no surname


def _person_tamil(r: Rand, fam: str, muslim: bool) -> tuple[str, str]:
    if muslim:
        suffix = "Banu" if r() < 0.5 else "Begum"
        return f"{_pick(MUSLIM_WOMEN, r)} {suffix}", _pick(MUSLIM_MEN, r)
    man = _pick(TAMIL_MEN, r)
    rel = man if r() < 0.6 else f"{_pick(INITIALS, r)}. {man}"
    first = _pick(TAMIL_WOMEN, r)
    u = r()
    name = f"{man[0]}. {first}" if u < 0.55 else first if u < 0.9 else f"{first} {man[0]}"
    return name, rel


def _family_kerala(r: Rand, muslim: bool) -> str:
    return _pick(INITIALS, r)  # the house name, shown as an initial: "Sreeja K"


def _person_kerala(r: Rand, fam: str, muslim: bool) -> tuple[str, str]:
    christian = not muslim and r() < 0.3
    if muslim:
        women, men = KERALA_MUSLIM_WOMEN, KERALA_MUSLIM_MEN
    elif christian:
        women, men = KERALA_CHRISTIAN_WOMEN, KERALA_CHRISTIAN_MEN
    else:
        women, men = KERALA_WOMEN, KERALA_MEN
    man = _pick(men, r)
    rel = man if r() < 0.5 else f"{man} {fam}"
    first = _pick(women, r)
    u = r()
    if muslim:
        name = f"{first} Beevi" if u < 0.35 else first if u < 0.7 else f"{first} {fam}"
    elif u < 0.3:
        name = first
    elif u < 0.6:
        name = f"{first} {fam}"
    elif u < 0.8:
        name = f"{first} {man.split()[0]}"  # the husband's name as a surname
    else:
        name = f"{first} {fam}.{_pick(INITIALS, r)}."
    return name, rel


def _family_kannada(r: Rand, muslim: bool) -> str:
    return _pick(("Mulla", "Nadaf", "Shaikh", "Khan"), r) if muslim else _pick(KANNADA_SURNAMES, r)


def _person_kannada(r: Rand, fam: str, muslim: bool) -> tuple[str, str]:
    if muslim:
        suffix = "Banu" if r() < 0.6 else "Begum"
        return f"{_pick(MUSLIM_WOMEN, r)} {suffix}", f"{_pick(MUSLIM_MEN, r)} {fam}"
    man = _pick(KANNADA_MEN, r)
    u = r()
    rel = man if u < 0.4 else f"{man} {fam}" if u < 0.75 else f"{fam[0]}. {man}"
    first = _pick(KANNADA_WOMEN, r)
    u = r()
    if u < 0.35:
        name = first
    elif u < 0.6:
        name = f"{first} {fam}"
    elif u < 0.85:
        name = f"{first} {man.split()[0]}"
    else:
        name = f"{first} {fam[0]}"
    return name, rel


def _family_marathi(r: Rand, muslim: bool) -> str:
    if muslim:
        return _pick(("Shaikh", "Pathan", "Sayyed", "Mulla", "Tamboli", "Inamdar"), r)
    return _pick(MARATHI_SURNAMES, r)


def _person_marathi(r: Rand, fam: str, muslim: bool) -> tuple[str, str]:
    man = _pick(MUSLIM_MEN if muslim else MARATHI_MEN, r)
    rel = f"{man} {_pick(MARATHI_MEN, r)} {fam}" if r() < 0.3 and not muslim else f"{man} {fam}"
    first = _pick(MUSLIM_WOMEN if muslim else MARATHI_WOMEN, r)
    u = r()
    # Marathi registers use the husband's first name as the middle name: "Sunita Ramesh Pawar".
    if u < 0.5:
        name = f"{first} {man} {fam}"
    elif u < 0.9 or muslim:
        name = f"{first} {fam}"
    else:
        name = f"{first}bai {fam}"
    return name, rel


def _family_gujarati(r: Rand, muslim: bool) -> str:
    if muslim:
        return _pick(("Ghanchi", "Memon", "Shaikh", "Sipai", "Multani"), r)
    return _pick(GUJARATI_SURNAMES, r)


def _person_gujarati(r: Rand, fam: str, muslim: bool) -> tuple[str, str]:
    man = _pick(MUSLIM_MEN if muslim else GUJARATI_MEN, r)
    u = r()
    rel = f"{man}bhai {fam}" if u < 0.7 else f"{man}bhai {_pick(GUJARATI_MEN, r)}bhai {fam}"
    first = _pick(MUSLIM_WOMEN if muslim else GUJARATI_WOMEN, r)
    u = r()
    if u < 0.55:
        name = f"{first}ben {man}bhai {fam}"
    elif u < 0.9:
        name = f"{first}ben {fam}"
    else:
        name = f"{first}ben"
    return name, rel


@dataclass(frozen=True, slots=True)
class _Region:
    name: str
    muslim_share: float
    family: Callable[[Rand, bool], str]
    person: Callable[[Rand, str, bool], tuple[str, str]]


REGIONS = {
    r.name: r
    for r in (
        _Region("hindi", 0.12, _family_hindi, _person_hindi),
        _Region("east", 0.22, _family_east, _person_east),
        _Region("odia", 0.03, _family_odia, _person_odia),
        _Region("telugu", 0.08, _family_telugu, _person_telugu),
        _Region("tamil", 0.05, _family_tamil, _person_tamil),
        _Region("kerala", 0.25, _family_kerala, _person_kerala),
        _Region("kannada", 0.10, _family_kannada, _person_kannada),
        _Region("marathi", 0.10, _family_marathi, _person_marathi),
        _Region("gujarati", 0.08, _family_gujarati, _person_gujarati),
    )
}
# District d gets _REGION_CYCLE[d % len]: the Hindi belt is the largest, as in the country.
_REGION_CYCLE = tuple(
    _words("hindi east telugu hindi marathi tamil odia hindi kannada gujarati kerala east")
)


def region_of_district(district_index: int) -> str:
    return _REGION_CYCLE[district_index % len(_REGION_CYCLE)]


# --- name variants (planted duplicates) -------------------------------------------------------


# Spellings of the same name that registers mix freely.
_SPELLING_GROUPS = (
    "Lakshmi Laxmi Lakshmy, Sita Seeta, Gita Geeta Geetha, Devi Debi, Kumari Kumary Kumar, "
    "Fatima Fathima Phatima, Khatun Khatoon, Begum Begam, Bano Banu, Beevi Bibi Beebi, "
    "Mohammad Mohammed Mohd. Md., Sheikh Shaikh Sk., Shaik Sheik Sk., Kumar Kr., Prasad Pd. "
    "Prashad, Poonam Punam, Pooja Puja, Kamla Kamala, Vimla Bimla Vimala, Mamta Mamata, "
    "Jyoti Jyothi, Shanti Santi Shanthi, Savitri Sabitri Savithri, Sushila Susila Susheela, "
    "Sangeeta Sangita, Kavita Kabita Kavitha, Sunita Sunitha, Anita Anitha, Savita Sabita "
    "Savitha, Pushpa Puspa, Reena Rina, Rita Reeta, Sheela Shila Sila, Nasreen Nasrin, Rubina "
    "Rubeena, Parveen Parvin, Selvi Selvy, Muthulakshmi Muthulaxmi, Venkata Venkat, Srinivas "
    "Sreenivas Srinivasa, Mondal Mandal, Sahoo Sahu, Behera Behara, Barman Burman, Chaudhary "
    "Choudhary Chaudhari, Yadav Jadav, Mishra Misra, Singh Sing, Ansari Ansary, Gowda Gouda"
)
_SPELLINGS: dict[str, tuple[str, ...]] = {}
for _group in _SPELLING_GROUPS.split(","):
    _names = _words(_group)
    for _n in _names:
        _SPELLINGS[_n] = tuple(x for x in _names if x != _n)

# Sound changes clerks make writing a name heard aloud: (old, new, where) with where "any"
# (first occurrence), "mid" (not the first letter) or "end".
_SOUNDS = (
    ("ee", "i", "any"),
    ("oo", "u", "any"),
    ("sh", "s", "mid"),
    ("th", "t", "any"),
    ("ta", "tha", "end"),
    ("ksh", "x", "any"),
    ("x", "ksh", "any"),
    ("v", "b", "any"),
    ("w", "v", "any"),
    ("ph", "f", "any"),
    ("z", "j", "any"),
    ("q", "k", "any"),
    ("aa", "a", "any"),
    ("ll", "l", "any"),
    ("nn", "n", "any"),
    ("in", "een", "end"),
    ("i", "y", "end"),
)
_WOMEN_HONORIFICS = ("Smt.", "Smt", "Shrimati", "Mrs.")
_MEN_HONORIFICS = ("Sri", "Shri", "Sh.", "Late")
_SUFFIXES = {"Devi", "Kumari", "Bai", "Begum", "Bano", "Khatun", "Khatoon", "Bibi", "Beevi", "Bee"}
# Words commonly run together with the next ("Venkatalakshmi", "Omprakash", "Anilkumar") …
_JOIN_FIRST = frozenset(
    _words(
        "Venkata Naga Vijaya Bhagya Durga Om Ved Jai Ram Abdul Kunhi Sri Anil Chinna Appa Babu "
        "Subba Koteswara Srinivasa Maha Muthu Tamil Kalai Hansa"
    )
)
_JOIN_SECOND = frozenset(_words("Devi Kumari Lakshmi Laxmi Prakash Kumar Bai Ben Rao Bano Begum"))
# … and compounds commonly split ("Muthu Lakshmi", "Hansa Ben").
_SPLIT_ENDINGS = ("lakshmi", "laxmi", "selvi", "prakash", "kumar", "devi", "ben", "bhai", "bai")


def _respell(token: str, r: Rand) -> str:
    alts = _SPELLINGS.get(token)
    if alts:
        return _pick(alts, r)
    if len(token) < 3 or token.endswith("."):
        return token
    low = token.lower()
    n = len(_SOUNDS)
    start = int(r() * n)
    for k in range(n):
        old, new, where = _SOUNDS[(start + k) % n]
        if where == "end":
            if low.endswith(old) and len(low) > len(old) + 1 and low[-len(old) - 1] not in "aeiouh":
                return (low[: -len(old)] + new).capitalize()
            continue
        i = low.find(old, 1 if where == "mid" else 0)
        if i >= 0 and (where != "mid" or i + len(old) < len(low)):
            return (low[:i] + new + low[i + len(old) :]).capitalize()
    return token


def _join_or_split(tokens: list[str], r: Rand) -> bool:
    for k in range(len(tokens) - 1):
        if tokens[k] in _JOIN_FIRST or tokens[k + 1] in _JOIN_SECOND:
            tokens[k : k + 2] = [tokens[k] + tokens[k + 1].lower()]
            return True
    for k, token in enumerate(tokens):
        low = token.lower()
        for end in _SPLIT_ENDINGS:
            if low.endswith(end) and len(low) >= len(end) + 3:
                tokens[k : k + 1] = [token[: -len(end)], end.capitalize()]
                return True
    return False


def _honorific(woman: bool, r: Rand) -> str:
    return _pick(_WOMEN_HONORIFICS if woman else _MEN_HONORIFICS, r)


def name_variant(name: str, r: Rand, *, woman: bool = True) -> str:
    """Another way a clerk could have written the same person's name: a respelt word, an
    honorific, an initial for a surname or a dropped suffix, words run together or split, or
    capitals. Always differs from ``name``."""
    tokens = name.split()
    if not tokens:
        return name
    u = r()
    if u < 0.45:
        k = int(r() * len(tokens))
        tokens[k] = _respell(tokens[k], r)
    elif u < 0.6:
        tokens.insert(0, _honorific(woman, r))
    elif u < 0.75 and len(tokens) >= 2:
        last = tokens[-1]
        if last in _SUFFIXES:
            tokens.pop()
        elif len(tokens[0]) == 2 and tokens[0].endswith("."):  # "K. Lakshmi" -> "Lakshmi K"
            tokens = [*tokens[1:], tokens[0][0]]
        elif len(last) > 2 and any(len(t) > 2 and t[-1] != "." for t in tokens[:-1]):
            # "Sunita Pawar" -> "P. Sunita" / "Sunita P." (not "Md. Salim" -> "Md. S.")
            tokens = [f"{last[0]}.", *tokens[:-1]] if r() < 0.5 else [*tokens[:-1], f"{last[0]}."]
    elif u < 0.85:
        if not _join_or_split(tokens, r):
            k = int(r() * len(tokens))
            tokens[k] = _respell(tokens[k], r)
    elif u < 0.92:  # registers typed in capitals
        tokens = [t.upper() for t in tokens]
    else:
        k = int(r() * len(tokens))
        tokens[k] = _respell(tokens[k], r)
        tokens.insert(0, _honorific(woman, r))
    out = " ".join(tokens)
    if out == name:  # nothing applied (no respellable word…): an honorific always works
        out = f"{_honorific(woman, r)} {name}"
    return out


# --- banks ------------------------------------------------------------------------------------
# (IFSC bank code, account length, first digits of the account, weight). A "0" among the first
# digits gives accounts with leading zeros, as PNB's, Canara's and IOB's often are.
BANKS = (
    ("SBIN", 11, "3344", 30),
    ("PUNB", 16, "0012", 10),
    ("BARB", 14, "0123", 9),
    ("CNRB", 13, "0001", 8),
    ("UBIN", 15, "5", 9),
    ("BKID", 15, "678", 7),
    ("IOBA", 15, "00123", 5),
    ("UCBA", 14, "0123", 5),
    ("IDIB", 11, "67", 5),
    ("MAHB", 11, "6", 4),
    ("FDRL", 14, "1", 3),
    ("IPOS", 12, "1", 5),
)
_BANK_TABLE = tuple(i for i, b in enumerate(BANKS) for _ in range(b[3]))
BRANCHES_PER_BLOCK = 3


def _branches(block_index: int) -> list[list[tuple[str, str]]]:
    """Per bank, the block's branches as (IFSC, account prefix)."""
    out = []
    for b, (code, length, firsts, _) in enumerate(BANKS):
        branches = []
        for k in range(BRANCHES_PER_BLOCK):
            h = _mix((block_index << 16) | (b << 4) | k)
            if code == "IPOS":
                ifsc = "IPOS0000001"  # India Post Payments Bank: one IFSC for the country
            elif code == "BARB":
                ifsc = "BARB0" + "".join(chr(65 + (h >> (5 * i)) % 26) for i in range(6))
            else:
                ifsc = f"{code}0{h % 99999 + 1:06d}"
            n = length - 10
            prefix = firsts[(h >> 40) % len(firsts)]
            if n > 1:
                # Never all zeros: stripping leading zeros must not eat into the unique part.
                prefix += f"{(h >> 20) % 10 ** (n - 1):0{n - 1}d}"[:-1] + str(1 + (h >> 8) % 9)
            branches.append((ifsc, prefix))
        out.append(branches)
    return out


# --- layout -----------------------------------------------------------------------------------


def _chunks(total: int, geography: Geography) -> int:
    return max(1, min(geography.panchayats, total // MIN_CHUNK))


def _chunk_start(total: int, chunks: int, k: int) -> int:
    return k * total // chunks


def _chunk_of(total: int, chunks: int, i: int) -> int:
    k = min(chunks - 1, i * chunks // total)
    while k > 0 and _chunk_start(total, chunks, k) > i:
        k -= 1
    while k + 1 < chunks and _chunk_start(total, chunks, k + 1) <= i:
        k += 1
    return k


def _district_code(d: int) -> str:
    return str(501 + d)


def _block_code(g: int) -> str:
    return str(5001 + g)


def block_of(
    total: int, block_index: int, *, geography: Geography = DEFAULT_GEOGRAPHY
) -> BlockSlice:
    """The ``block_index``-th block of the state and its members' range in the sequence (empty
    when the total is too small to populate it)."""
    if not 0 <= block_index < geography.blocks:
        raise ValueError(f"block_index must be in [0, {geography.blocks})")
    chunks = _chunks(total, geography)
    p_lo = block_index * geography.panchayats_per_block
    p_hi = p_lo + geography.panchayats_per_block
    # Chunk k sits in panchayat k*P//K; the block's chunks are those landing in [p_lo, p_hi).
    panchayats = geography.panchayats
    k_lo = -(-p_lo * chunks // panchayats)
    k_hi = -(-p_hi * chunks // panchayats)
    return BlockSlice(
        _district_code(block_index // geography.blocks_per_district),
        _block_code(block_index),
        _chunk_start(total, chunks, k_lo),
        _chunk_start(total, chunks, k_hi),
    )


def _shg_sizes(n: int, r: Rand) -> list[int]:
    lo, hi = -(-n // 15), n // 10
    if lo > hi:  # too few members for SHGs of 10-15: one group takes them all
        return [n]
    m = min(hi, max(lo, round(n / 12.5)))
    sizes = [10 + int(r() * 6) for _ in range(m)]
    diff = n - sum(sizes)
    while diff:
        j = int(r() * m)
        if diff > 0 and sizes[j] < 15:
            sizes[j] += 1
            diff -= 1
        elif diff < 0 and sizes[j] > 10:
            sizes[j] -= 1
            diff += 1
    return sizes


# --- generation -------------------------------------------------------------------------------

_MEMBER_KIND = 0x001
_SHG_KIND = 0x002
# Planted kinds and their weights; a kind the original lacks (no bank account…) falls through
# to the next that it has, "name" always being possible.
_KIND_WEIGHTS = (("aadhaar", 0.35), ("bank", 0.2), ("voter", 0.15), ("name", 0.2), ("mobile", 0.1))
_ID_NAME_SHARE = 0.7  # identifier duplicates that are the same woman under a name variant


@dataclass(frozen=True, slots=True)
class _Keys:
    uuid_hi: int  # tag bits of the v8 UUIDs
    aadhaar: Perm
    account: Perm
    voter: Perm
    mobile: Perm
    voter_letters: int


@functools.lru_cache(maxsize=16)
def _keys(seed: int) -> _Keys:
    tag = _mix(seed & _M64) >> 16  # 48 bits
    return _Keys(
        uuid_hi=tag,
        aadhaar=_perm(seed, 0xA1, 8 * 10**10),
        account=_perm(seed, 0xB2, 10**10),
        voter=_perm(seed, 0xC3, 10**7),
        mobile=_perm(seed, 0xD4, 4 * 10**9),
        voter_letters=_mix((seed & _M64) ^ 0xE5) % 17576,
    )


def _uuid(keys: _Keys, kind: int, index: int) -> uuid.UUID:
    # RFC 9562 version 8 ("custom"): 48 bits of seed, version, 12 bits of kind, variant, and the
    # index in the low 62 bits — unique, deterministic, and the index is readable back.
    return uuid.UUID(
        int=(keys.uuid_hi << 80) | (8 << 76) | (kind << 64) | (0b10 << 62) | (index & (2**62 - 1))
    )


def _voter_letters(keys: _Keys, block_index: int) -> str:
    # 7919 is prime to 26³, so blocks (EPIC series follow constituencies) get distinct letters.
    x = (keys.voter_letters + block_index * 7919) % 17576
    return chr(65 + x // 676) + chr(65 + x // 26 % 26) + chr(65 + x % 26)


def _noisy_aadhaar(a: str, r: Rand) -> str:
    u = r()
    if u < 0.5:
        return a
    sep = " " if u < 0.85 else "-"
    return f"{a[:4]}{sep}{a[4:8]}{sep}{a[8:]}"


def _noisy_account(acc: str, r: Rand) -> str:
    u = r()
    if acc.startswith("0") and u < 0.6:
        return acc.lstrip("0")
    if u < 0.8:
        return acc
    return " ".join(acc[i : i + 4] for i in range(0, len(acc), 4))


def _noisy_voter(v: str, r: Rand) -> str:
    u = r()
    return v if u < 0.5 else v.lower() if u < 0.8 else f"{v[:3]} {v[3:]}"


def _chunk(
    total: int, k: int, chunks: int, seed: int, geography: Geography, planted_rate: float
) -> list[SynthMember]:
    keys = _keys(seed)
    g0 = _chunk_start(total, chunks, k)
    n = _chunk_start(total, chunks, k + 1) - g0
    pan = k * geography.panchayats // chunks
    blk = pan // geography.panchayats_per_block
    dist = blk // geography.blocks_per_district
    region = REGIONS[region_of_district(dist)]
    vpp = geography.villages_per_panchayat
    district, block, panchayat = _district_code(dist), _block_code(blk), str(200001 + pan)
    villages = [str(600001 + pan * vpp + v) for v in range(vpp)]

    rnd = random.Random(f"dedup-synth:{seed}:{total}:{k}")
    r = rnd.random

    sizes = _shg_sizes(n, r)
    m = len(sizes)
    shg_start = [0] * m
    for j in range(1, m):
        shg_start[j] = shg_start[j - 1] + sizes[j - 1]
    shg_of = [j for j in range(m) for _ in range(sizes[j])]
    village_of_shg = [j * vpp // m for j in range(m)]
    shg_ids = [_uuid(keys, _SHG_KIND, g0 + shg_start[j]) for j in range(m)]

    # Planted duplicates: any member after the first SHG may copy someone of an earlier SHG.
    eligible = n - sizes[0]
    p = min(0.5, planted_rate * n / eligible) if eligible > 0 else 0.0
    planted = [False] * n
    plants: list[int] = []
    for pos in range(sizes[0], n):
        if r() < p:
            planted[pos] = True
            plants.append(pos)

    # Households: a village's non-planted members taken round-robin across its SHGs, so that a
    # household's women sit in different SHGs; each planted member is a household of her own.
    hh_of = [0] * n
    hh_code: list[str] = []
    hh_mobile: list[str] = []
    hh_family: list[str] = []
    hh_muslim: list[bool] = []
    mob = keys.mobile

    def household(members: list[int], village: str, number: int) -> None:
        h = len(hh_code)
        for q in members:
            hh_of[q] = h
        hh_code.append(f"{village}-{number:04d}")
        key = g0 + members[0]
        hh_mobile.append("" if r() < MOBILE_MISSING else str(6_000_000_000 + mob(key)))
        muslim = r() < region.muslim_share
        hh_muslim.append(muslim)
        hh_family.append(region.family(r, muslim))

    j = 0
    for v in range(vpp):
        cols: list[list[int]] = []
        while j < m and village_of_shg[j] == v:
            s0 = shg_start[j]
            cols.append([q for q in range(s0, s0 + sizes[j]) if not planted[q]])
            j += 1
        order = [
            col[i] for i in range(max(map(len, cols), default=0)) for col in cols if i < len(col)
        ]
        number = 0
        i = 0
        while i < len(order):
            u = r()
            size = 1 if u < 0.6 else 2 if u < 0.9 else 3
            group = [order[i]]
            i += 1
            # Where SHGs run out unevenly, neighbours in ``order`` can share an SHG: cut there.
            while (
                len(group) < size
                and i < len(order)
                and shg_of[order[i]] not in {shg_of[q] for q in group}
            ):
                group.append(order[i])
                i += 1
            number += 1
            household(group, villages[v], number)
        for col_shg in range(j - len(cols), j):
            s0 = shg_start[col_shg]
            for q in range(s0, s0 + sizes[col_shg]):
                if planted[q]:
                    number += 1
                    household([q], villages[v], number)

    branches = _branches(blk)
    letters = _voter_letters(keys, blk)
    aad, acc, vot = keys.aadhaar, keys.account, keys.voter
    person = region.person
    bank_table = _BANK_TABLE
    n_banks = len(bank_table)
    out: list[SynthMember] = []
    append = out.append
    for pos in range(n):
        gi = g0 + pos
        h = hh_of[pos]
        name, rel = person(r, hh_family[h], hh_muslim[h])
        aadhaar = "" if r() < AADHAAR_MISSING else aadhaar_from_body(20_000_000_000 + aad(gi))
        if r() < BANK_MISSING:
            account = ifsc = ""
        else:
            ifsc, prefix = branches[bank_table[int(r() * n_banks)]][int(r() * BRANCHES_PER_BLOCK)]
            account = f"{prefix}{acc(gi):010d}"
        voter = "" if r() < VOTER_MISSING else f"{letters}{vot(gi % 10**7):07d}"
        u = r()
        status = "approved" if u < 0.85 else "pending" if u < 0.95 else "migrated"
        append(
            SynthMember(
                _uuid(keys, _MEMBER_KIND, gi),
                shg_ids[shg_of[pos]],
                district,
                block,
                panchayat,
                villages[village_of_shg[shg_of[pos]]],
                name,
                rel,
                hh_code[h],
                aadhaar,
                account,
                ifsc,
                voter,
                hh_mobile[h],
                status,
                "",
                None,
            )
        )

    used: set[int] = set()
    for pos in plants:
        _plant(out[pos], out, pos, shg_start[shg_of[pos]], planted, used, r)
    return out


def _plant(
    dup: SynthMember,
    members: list[SynthMember],
    pos: int,
    before: int,
    planted: list[bool],
    used: set[int],
    r: Rand,
) -> None:
    """Make ``dup`` a duplicate of a member in an earlier SHG (positions < ``before``)."""
    orig_pos = int(r() * before)
    for _ in range(8):  # prefer an original nobody copied yet; the SHG itself is never planted
        if orig_pos not in used and not planted[orig_pos]:
            break
        orig_pos = int(r() * before)
    else:
        orig_pos = next((q for q in range(before) if not planted[q]), 0)
    used.add(orig_pos)
    orig = members[orig_pos]

    u = r()
    acc = 0.0
    start = len(_KIND_WEIGHTS) - 1
    for i, (_, w) in enumerate(_KIND_WEIGHTS):
        acc += w
        if u < acc:
            start = i
            break
    has = {
        "aadhaar": bool(orig.aadhaar),
        "bank": bool(orig.bank_account),
        "voter": bool(orig.voter_id),
        "name": True,
        "mobile": bool(orig.mobile),
    }
    kind = "name"
    for i in range(len(_KIND_WEIGHTS)):
        candidate = _KIND_WEIGHTS[(start + i) % len(_KIND_WEIGHTS)][0]
        if has[candidate]:
            kind = candidate
            break

    if kind in ("name", "mobile") or r() < _ID_NAME_SHARE:
        dup.name = name_variant(orig.name, r) if r() < 0.9 else orig.name
        dup.relative_name = (
            name_variant(orig.relative_name, r, woman=False) if r() < 0.5 else orig.relative_name
        )
    if kind == "aadhaar":
        dup.aadhaar = _noisy_aadhaar(orig.aadhaar, r)
    elif kind == "bank":
        dup.bank_account = _noisy_account(orig.bank_account, r)
        dup.ifsc = orig.ifsc.lower() if r() < 0.15 else orig.ifsc
    elif kind == "voter":
        dup.voter_id = _noisy_voter(orig.voter_id, r)
    elif kind == "mobile":
        dup.mobile = orig.mobile
    u = r()
    # Duplicates mostly arrive as new registrations, checked while pending.
    dup.status = "pending" if u < 0.55 else "approved" if u < 0.95 else "migrated"
    dup.planted = kind
    dup.duplicate_of = orig.member_id


def generate(
    total: int,
    *,
    seed: int = 7,
    geography: Geography = DEFAULT_GEOGRAPHY,
    planted_rate: float = 0.002,
    start: int = 0,
    stop: int | None = None,
) -> Iterator[SynthMember]:
    """Members ``[start, stop)`` of the ``total``-member sequence of ``seed``."""
    if total < 0:
        raise ValueError("total must be >= 0")
    stop = total if stop is None else stop
    if not 0 <= start <= stop <= total:
        raise ValueError(f"need 0 <= start <= stop <= total, got {start}, {stop}, {total}")
    if start == stop:
        return
    chunks = _chunks(total, geography)
    k = _chunk_of(total, chunks, start)
    while k < chunks:
        c0 = _chunk_start(total, chunks, k)
        if c0 >= stop:
            break
        members = _chunk(total, k, chunks, seed, geography, planted_rate)
        yield from members[max(0, start - c0) : stop - c0]
        k += 1


# --- command line -----------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--total", type=int, default=10_000_000, help="size of the whole sequence")
    parser.add_argument("--members", type=int, default=500_000, help="how many to generate")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    t0 = time.perf_counter()
    kinds: Counter[str] = Counter()
    n = 0
    for m in generate(args.total, seed=args.seed, stop=min(args.members, args.total)):
        n += 1
        if m.planted:
            kinds[m.planted] += 1
    dt = time.perf_counter() - t0
    first = block_of(args.total, 0)
    print(f"{n:,} members in {dt:.2f} s: {n / dt:,.0f} members/s")
    print(f"whole sequence of {args.total:,}: ~{args.total / (n / dt):.0f} s in one process")
    print(f"block {first.block} holds {first.members:,} members")
    print(f"planted: {sum(kinds.values()):,} {dict(kinds)}")


if __name__ == "__main__":
    main()
