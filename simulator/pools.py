"""Vocabulary of the simulated account: names, labels, configured ids.

Situation ids are *configured per account* in CVCRM (Distrato was 13 in one
account and 4 in the docs), so they are deliberately odd here: consumers must
match by name.
"""
from __future__ import annotations

import random

SIT_IDS = {"Reserva": 1, "Em análise": 2, "Vendida": 6, "Cancelada": 9, "Distrato": 13}
SIT_COMERCIAL = {"Reserva": "Em negociação", "Em análise": "Em análise",
                 "Vendida": "Vendida", "Cancelada": "Cancelada", "Distrato": "Distratada"}
UNIT_SIT = {1: "Disponível", 2: "Reservada", 3: "Vendida", 4: "Bloqueada",
            5: "Em processo de reserva"}
SERIE_IDS = {"Ato": 1, "Sinal": 2, "Mensais": 3, "Intermediárias": 4, "Chaves": 5,
             "Financiamento": 6, "FGTS": 7, "Subsídio": 8}
COMM_SIT_IDS = {"Comissão Gerada (1)": 1, "Liberada": 2, "Aguardando NF": 5, "Finalizado": 7}
# The repasse's steps in order; the bank releases the funds some days after the registry.
REP_STEPS = [("Em análise no banco", 21), ("Aprovado", 22), ("Cartório", 24), ("Registrado", 27),
             ("Recurso liberado", 29)]
REP_REGISTRADO = 3  # index of "Registrado" in REP_STEPS: its moment is data_registro
LEAD_SIT_IDS = {"Aguardando atendimento": 1, "Em atendimento": 2, "Descartado": 3,
                "Em negociação": 4, "Com reserva": 5, "Venda realizada": 6, "Visita agendada": 7,
                "Visita realizada": 8, "Em análise de crédito": 9}
PASTA_SIT_IDS = {"Em análise": 1, "Aprovado": 2, "Reprovado": 3, "Cancelado": 4}
ATD_SITS = [("Novo Atendimento", 1), ("Em atendimento", 2), ("Finalizado", 3)]
DIST_SIT = (13, "Distrato")

FIRST = ["Ana", "Bruno", "Carla", "Daniel", "Eduarda", "Felipe", "Gabriela", "Henrique",
         "Isabela", "João", "Larissa", "Marcos", "Natália", "Otávio", "Patrícia", "Rafael",
         "Sofia", "Thiago", "Vitória", "Wagner", "Luíza", "Caio", "Renata", "Márcio"]
LAST = ["Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira",
        "Lima", "Gomes", "Costa", "Ribeiro", "Martins", "Carvalho", "Almeida", "Lopes",
        "Araújo", "Barbosa", "Conceição", "Mendonça"]
CITIES = [("São Paulo", "SP"), ("Campinas", "SP"), ("Curitiba", "PR"),
          ("Belo Horizonte", "MG"), ("Porto Alegre", "RS"), ("Goiânia", "GO"),
          ("Florianópolis", "SC"), ("Recife", "PE"), ("Salvador", "BA")]
REGIOES = ["Zona Sul", "Zona Norte", "Centro", "Zona Leste", "Zona Oeste",
           "Região Metropolitana"]
TIPOS_EMP = [(1, "Residencial vertical"), (2, "Loteamento"), (3, "Residencial horizontal")]
CATEGORIAS = ["Corretor", "Corretor Associado", "Gerente", "Autônomo"]
NIVEIS = ["Júnior", "Pleno", "Sênior", None, ""]
MOTIVOS_CANCEL = ["Desistência do cliente", "Crédito reprovado", "Reserva expirada",
                  "Troca de unidade", ""]
MOTIVOS_DISTRATO = [(1, "Inadimplência"), (2, "Desistência"), (3, "Crédito negado no repasse"),
                    (4, "Acordo entre as partes")]
# Drawn (and then superseded by the funnel's story) for each unlinked lead: the draw keeps the
# world's random stream as it was before the funnel existed.
LEAD_SITS = ["Aguardando atendimento", "Em atendimento", "Descartado", "Em negociação"]
MOTIVOS_DESCARTE = ["Sem interesse", "Sem retorno do cliente", "Comprou com a concorrência",
                    "Renda incompatível", "Contato inválido", "Fora do perfil do produto"]
MOTIVOS_REPROVACAO = [(1, "Renda insuficiente"), (2, "Restrição cadastral"),
                      (3, "Documentação incompleta"), (4, "Score de crédito baixo"),
                      (5, "Comprometimento de renda acima do limite")]
MOTIVOS_CANCEL_PASTA = [(1, "Desistência do cliente"), (2, "Cliente optou por outra unidade"),
                        (3, "Prazo de documentação expirado")]
PDVS = ["Stand de vendas", "Loja central", "Plantão no local", "Atendimento on-line"]
CORRESPONDENTES = ["Casa Fácil Correspondente", "Crédito Já", ""]  # as repasses pick them
BACKOFFICE = [(1, "Equipe de Repasse"), (2, "Financeiro"), (3, "Correspondente bancário"),
              (4, "Integração bancária")]
ORIGENS = ["Site", "Facebook", "Instagram", "Portal ZAP", "Plantão", "Indicação", "WhatsApp"]
MIDIAS = ["Google Ads", "Meta Ads", "Panfleto", "Outdoor", "Portal", "Orgânico"]
CONVERSOES = ["Formulário do site", "Chat", "Ligação", "Visita ao plantão"]
CANAIS = ["Telefone", "E-mail", "Portal do cliente", "WhatsApp", "Presencial"]
ASSUNTOS = [("Assistência técnica", "Infiltração"), ("Financeiro", "2ª via de boleto"),
            ("Documentação", "Escritura"), ("Entrega de chaves", "Agendamento"),
            ("Assistência técnica", "Elétrica")]
PCTS = [4, 4.5, 5, 5.5, 6]
INDEXADORES = ["0,8% ao mês", "INCC", "IPCA + 1% a.m.", "INCC-M", "Sem correção", "1% ao mês"]
BANCOS = ["Caixa Econômica Federal", "Banco do Brasil", "Itaú", "Bradesco", "Santander"]
TIPOVENDA = [(1, "Financiamento bancário"), (2, "Direto com a construtora"), (3, "À vista")]
MIDIA_IDS = {m: k + 1 for k, m in enumerate(MIDIAS)}
ESTADO_CIVIL = ["Solteiro(a)", "Casado(a)", "Divorciado(a)", "União estável", None, ""]
CAMPANHAS = ["Feirão de Outubro", "Black Friday Imóveis", None, "Lançamento", ""]
TABELAS = [(11, "Tabela Padrão"), (12, "Tabela Lançamento"), (13, "Tabela Promocional")]
TIMES = [(1, "Time Alpha"), (2, "Time Beta"), (3, "Plantão Central")]
_EMP_A = ["Residencial", "Edifício", "Condomínio", "Parque", "Jardins"]
_EMP_B = ["das Flores", "Vista Verde", "Bela Vista", "Porto Seguro", "Alto da Serra",
          "Vila Nova", "Horizonte", "Mirante do Lago", "São Francisco", "Ipê Amarelo"]


class FastRandom(random.Random):
    """``random.Random`` with cheaper ``choice``/``randint``/``randrange``.

    The stdlib versions go through ``_randbelow`` (several Python calls each);
    building a 200k-reservation world makes millions of these draws, so they
    are derived from one ``random()`` float instead. Still fully seeded.
    """

    def choice(self, seq):  # type: ignore[override]
        return seq[int(self.random() * len(seq))]

    def randint(self, a: int, b: int) -> int:  # type: ignore[override]
        return a + int(self.random() * (b - a + 1))

    def randrange(self, start: int, stop: int | None = None, step: int = 1) -> int:  # type: ignore[override]
        if stop is None:
            start, stop = 0, start
        return start + int(self.random() * (stop - start))


def person(rng: random.Random) -> str:
    """A Brazilian-looking full name."""
    return f"{rng.choice(FIRST)} {rng.choice(LAST)} {rng.choice(LAST)}"


def imob_name(rng: random.Random, k: int) -> str:
    """Brokerage name; some carry an HTML entity, as real payloads do."""
    last = rng.choice(LAST)
    if k % 4 == 1:
        return f"Imobiliária {last} Ltda &amp; Cia"
    return rng.choice([f"Imobiliária {last}", f"{last} Imóveis", f"{last} &amp; Filhos Imóveis"
                       if k % 7 == 3 else f"Casa {last} Negócios"])


def emp_name(rng: random.Random, k: int) -> str:
    return f"{rng.choice(_EMP_A)} {_EMP_B[k % len(_EMP_B)]}" + ("" if k <= len(_EMP_B) else f" {k}")


def cnpj(rng: random.Random) -> str:
    n = f"{rng.randrange(10**12):012d}{rng.randrange(100):02d}"
    return f"{n[:2]}.{n[2:5]}.{n[5:8]}/{n[8:12]}-{n[12:]}"


def tipologia(area: float) -> str:
    rooms = 1 if area < 50 else 2 if area < 75 else 3 if area < 110 else 4
    return f"{rooms} dormitório" + ("s" if rooms > 1 else "")


def money(cents: int) -> int | float:
    """JSON money as CVDW sends it: an int when whole, else a float."""
    return cents // 100 if cents % 100 == 0 else cents / 100


def brl(cents: int) -> str:
    """Brazilian-formatted number text such as ``1.000,00``."""
    whole, frac = divmod(cents, 100)
    return f"{whole:,}".replace(",", ".") + f",{frac:02d}"


def h(x: int, salt: int = 0) -> int:
    """Cheap deterministic hash for cosmetic per-row values at render time."""
    v = (x * 0x9E3779B1 + salt * 0x85EBCA6B) & 0xFFFFFFFF
    v ^= v >> 15
    v = (v * 0x2C1B3C6D) & 0xFFFFFFFF
    return v ^ (v >> 12)


def pick(seq: list, x: int, salt: int = 0):
    """Deterministic choice from ``seq`` keyed by ``x``."""
    return seq[h(x, salt) % len(seq)]
