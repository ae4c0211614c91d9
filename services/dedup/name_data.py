"""Vocabularies of Indian names, as data, for ``services.dedup.names``.

Each list is written as typed in registers (several spellings where they differ by more than
the folding rules); ``names`` folds them at import like any name, so one entry covers every
spelling the folding collapses.
"""

from __future__ import annotations

# Words that carry a woman's or a man's name (suffixes, second parts of men's names). A
# name's gender is compared, never dropped: "Basanti Kumari" is not "Basant Kumar", "Laxmi
# Devi" is not "Laxmi Narayan".
FEMALE_WORDS: tuple[str, ...] = (
    "devi", "debi", "dei", "kumari", "kumary", "bai", "ben", "bibi", "begum", "begam",
    "khatun", "khatoon", "bano", "banu", "amma", "ammal", "kaur", "rani", "bee",
)  # fmt: skip
MALE_WORDS: tuple[str, ...] = (
    "bhai", "kumar", "lal", "prasad", "narayan", "narayana", "chand", "sundar", "rao",
    "shankar",
)  # fmt: skip
# ...but only as a later word: "Ram Pyari" and "Das Bai" are women, "Ganga Ram" is a man.
MALE_LATER_WORDS: tuple[str, ...] = ("ram",)

# Family names. A surname written on one record and left out on the other ("Hemlata Sharma"
# and "Hemlata") costs nothing; two different surnames count against the pair as usual.
SURNAMES: tuple[str, ...] = (
    # north and centre
    "sharma", "verma", "varma", "gupta", "yadav", "singh", "sinha", "mishra", "pandey",
    "tiwari", "dubey", "shukla", "srivastava", "jha", "thakur", "pathak", "chaudhary",
    "chaudhari", "choudhary", "prajapati", "kushwaha", "maurya", "chauhan", "rathore",
    "rathod", "rajput", "saini", "jatav", "meena", "bairwa", "gurjar", "ahirwar", "lodhi",
    "patel", "sahu", "sah", "shah", "sao", "gond", "mahto", "mahato", "paswan",
    "rai", "mandal", "manjhi", "rajak", "tanti", "baitha", "nishad", "kewat", "mallah",
    "kumhar", "teli", "ansari", "qureshi", "khan", "siddiqui", "sheikh", "pathan",
    # east and north-east
    "das", "dey", "roy", "ray", "ghosh", "bose", "basu", "sen", "pal", "paul", "saha",
    "dutta", "datta", "mukherjee", "banerjee", "chatterjee", "bhattacharya", "chowdhury",
    "biswas", "sarkar", "mondal", "haldar", "majhi", "bora", "borah", "gogoi", "saikia",
    "kalita", "deka", "nath", "baruah", "behera", "nayak", "naik", "sahoo", "mohanty",
    "mahanty", "pradhan", "swain", "jena", "rout", "panda", "mishra", "sethi", "majhi",
    "barik", "biswal", "mallick", "parida",
    # tribal central India
    "oraon", "munda", "soren", "murmu", "hansda", "hembram", "tudu", "kisku", "marandi",
    "baskey", "tirkey", "ekka", "minz", "kujur", "lakra", "toppo", "xalxo", "kerketta",
    "bara", "horo",
    # west
    "patil", "pawar", "jadhav", "shinde", "more", "gaikwad", "kale", "kamble", "chavan",
    "deshmukh", "bhosale", "solanki", "parmar", "makwana", "vaghela", "thakor", "desai",
    "chaudhri", "vasava", "rabari", "bharwad",
    # south
    "reddy", "naidu", "gowda", "nair", "pillai", "menon", "iyer", "nadar", "thevar",
    "gounder", "chetty", "shetty", "hegde", "rao",
)  # fmt: skip

# One surname, several forms: spelling (Verma/Varma, Dutta/Datta) and the Bengali long and
# short forms of one family name (Mukherjee is Mukhopadhyay). Regular expressions on the
# folded word → one canonical word.
SURNAME_ALIASES: tuple[tuple[str, str], ...] = (
    (r"^b[aei]rma$", "barma"),
    (r"^d[aou]t+a$", "data"),
    (r"^muk[ae]rji$|^mukopad.*$", "mukarji"),
    (r"^ban[ae]rji$|^band[iy]?opad.*$", "banarji"),
    (r"^cat[ae]rji$|^catopad.*$", "catarji"),
    (r"^ganguli$|^gangopad.*$", "ganguli"),
    (r"^c[ao]d[ah]?(?:ari|uri|ri)$", "codari"),
    (r"^mah?[ao]?to$", "mahto"),
    (r"^ratod$|^ratore?$", "ratod"),
    (r"^m[ao]hanti$", "mohanti"),
    (r"^kusbah?a?$", "kusbaha"),
    (r"^na(?:ya|i|e)k$", "naik"),
)

# Common given names (women's and men's). A one-letter slip (Sunira for Sunita) is forgiven
# only when it does not turn one known name into another: Sunita and Sumita, Anita and
# Ankita, Shila and Shilpa are different women.
GIVEN_NAMES: tuple[str, ...] = (
    # women
    "aarti", "aasha", "abha", "aditi", "afsana", "ahalya", "aisha", "ajanta", "alka", "amba",
    "ambika", "amina", "amrita", "anamika", "anandi", "anita", "anjali", "anjana", "anju",
    "ankita", "annapurna", "anuradha", "anusuya", "aparna", "archana", "arpita", "aruna",
    "asha", "ashwini", "babita", "basanti", "bhagwati", "bharati", "bhavana", "bimla",
    "bindu", "bina", "chameli", "champa", "chanda", "chandni", "chandra", "chandrika",
    "chhaya", "damyanti", "deepa", "deepika", "dhanmati", "draupadi", "durga", "fatima",
    "ganga", "gauri", "geeta", "gita", "gomti", "gulabi", "gunjan", "hema", "hemlata",
    "indira", "indu", "jamuna", "janaki", "jaya", "jayanti", "jyoti", "kajal", "kalavati",
    "kalpana", "kamala", "kamla", "kamini", "kanchan", "kanta", "kanti", "karishma",
    "kaushalya", "kavita", "kavya", "kiran", "kiranmayi", "komal", "kusum", "lakshmi",
    "lalita", "lata", "leela", "lekha", "madhu", "madhuri", "malati", "mala", "malti",
    "mamta", "mangala", "manisha", "manju", "manorama", "maya", "meena", "meera", "minakshi",
    "mira", "mona", "monika", "mousumi", "moumita", "mumtaz", "munni", "nanda", "nandini",
    "neelam", "neeta", "neha", "nirmala", "nisha", "parvati", "phoolmati", "pinki", "pooja",
    "poonam", "prabha", "pramila", "pratibha", "pratima", "prema", "premlata", "priti",
    "priya", "priyanka", "puja", "pushpa", "radha", "radhika", "rajni", "rajkumari",
    "ramkali", "rampyari", "rani", "ranjana", "rashmi", "reena", "rekha", "renu", "reshma",
    "rina", "rinki", "rita", "rohini", "roshni", "rubina", "rukmini", "runa", "rupa",
    "rupali", "sabita", "sadhana", "samta", "sangeeta", "sangita", "sanju", "santoshi",
    "sapna", "sarala", "saraswati", "sarita", "sarla", "saroj", "saroja", "savita",
    "savitri", "seema", "selvi", "shabana", "shabnam", "shakuntala", "shalini", "shanta",
    "shanti", "sharda", "sharmila", "shashi", "sheela", "shila", "shilpa", "shobha",
    "shyama", "sita", "seeta", "sneha", "sona", "sonam", "soni", "sonia", "subhadra",
    "suchitra", "sudha", "sujata", "sulochana", "suman", "sumana", "sumati", "sumitra",
    "sumita", "sunaina", "sundari", "sunita", "sunanda", "supriya", "surekha", "sushila",
    "sushma", "swati", "tara", "tulsi", "uma", "urmila", "usha", "vandana", "vasanti",
    "vidya", "vimala", "vimla", "yamuna", "yashoda", "zarina", "gayatri", "latha",
    "padma", "parbati", "rama", "sumathi", "vasanthi", "valli", "muthu", "ponnu", "gowri",
    "kaveri", "shanthi", "anandhi", "isha", "nita", "anu", "mina", "rupa", "lila",
    "aaliya", "afreen", "alpana", "amala", "amita", "anamika", "anushka", "aparajita",
    "arati", "aruna", "asma", "ayesha", "bablee", "bandana", "basanthi", "beena", "bhagwanti",
    "bhanumati", "bhanu", "bharti", "bhavna", "bijli", "bimala", "champa", "chanchal",
    "chandrakala", "chandrakanta", "chitra", "dakshayani", "daya", "deepali", "devaki",
    "dhanlakshmi", "dipti", "divya", "farah", "farhana", "farzana", "fulmati", "gangamma",
    "gayathri", "gulshan", "guddi", "hamida", "hasina", "hemant", "hira", "ila", "jamila",
    "jasmine", "jayalakshmi", "jayashree", "jhuma", "jyotsna", "kalawati", "kamlawati",
    "kalyani", "kanaka", "kanika", "kavitha", "khushbu", "kiranbala", "kumkum", "lajwanti",
    "lalitha", "laxmi", "leelavati", "madhavi", "mahalakshmi", "mahima", "malini", "mamata",
    "manjula", "manorma", "meenakshi", "menaka", "minati", "mithu", "mohini", "mridula",
    "mukta", "nafisa", "nagamma", "najma", "nalini", "namita", "nasima", "nasreen", "nazia",
    "neelima", "nilima", "nirmla", "niru", "noor", "padmavati", "pallavi", "pampa", "parveen",
    "parvin", "phulkumari", "pooja", "prabhavati", "pramod", "pratiksha", "preeti", "puspa",
    "rabia", "rachna", "rajani", "rajeshwari", "ramila", "ranjita", "rasika", "ratna",
    "rehana", "reshmi", "rimpa", "rina", "ritu", "rubi", "rukhsana", "rumpa", "rupashree",
    "sabina", "sagarika", "sahana", "saira", "sakina", "salma", "salima", "sandhya", "sangita",
    "sanjana", "santa", "sarada", "sarojini", "sati", "satyavati", "shamila", "shamim",
    "shanno", "shaheen", "shahnaz", "shashikala", "shefali", "shikha", "shirin", "shobhana",
    "shyamala", "simran", "sima", "smita", "snehalata", "sobha", "soma", "sonali", "srabani",
    "subha", "sudha", "sugandha", "suhana", "sukanya", "sulekha", "sultana", "sumaiya",
    "sumitra", "sunayana", "sunitha", "supriya", "surabhi", "sushmita", "suvarna", "swapna",
    "swarna", "tabassum", "tanuja", "tapati", "tripti", "tulasi", "uma", "urvashi",
    "vaishali", "vanita", "varsha", "vasundhara", "vijaya", "vijayalakshmi", "vinita",
    "yasmin", "zainab", "zubeda", "zeenat", "sabitri", "sarika", "sarina", "salini", "anil",
    # men
    "abdul", "amar", "amit", "ankit", "ashish", "azad", "bablu", "bhim", "bikash", "biren",
    "chandrakant", "dhanraj", "dharmendra", "gautam", "girish", "harish", "imran", "irfan",
    "jitendra", "kartik", "lalit", "mahendra", "manish", "mithilesh", "mridul", "nagaraj",
    "naveen", "nitin", "parmod", "pradeep", "praveen", "rahul", "rajendra", "rajiv", "ramu",
    "sachin", "salim", "shamim", "sujit", "sumit", "surendra", "tapan", "ujjwal", "vikas",
    "vinit", "yogesh", "ajay", "ajit", "akash", "anand", "arun", "ashok", "babu", "balram",
    "basant", "bhagwat", "bharat", "bhola", "bijay", "chandan", "deepak", "dilip", "dinesh",
    "gopal", "hari", "jagdish", "jayant", "kailash", "kamal", "kishan", "krishna", "lalan",
    "madan", "madhur", "mahesh", "manoj", "mohan", "mukesh", "naresh", "nirmal", "om",
    "pankaj", "pappu", "pawan", "prakash", "pramod", "prem", "raj", "raju", "rajesh",
    "rakesh", "ram", "ramesh", "ravi", "sanjay", "santosh", "shankar", "shiv", "shyam",
    "sunil", "suresh", "sushil", "umesh", "vijay", "vimal", "vinod", "vasanth", "rajan",
    "murugan", "raman",
)  # fmt: skip
