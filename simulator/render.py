"""Render stored entities into CVDW row dicts, one function per path.

Rows are built on demand (only the served page) so the world stays compact.
A renderer reads only entity attributes that change together with the row's
``referencia_data``; cosmetic values (client name, CEP, ...) come from a hash
of the id, so they are stable across calls without being stored.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import pools as P
from .pools import h, money, pick
from .prices import unit_price
from .table import Table
from .timefmt import DAY, ZERO, fmt_br, fmt_d, fmt_dt

if TYPE_CHECKING:
    from .entities import Reserva, Unit
    from .world import World

# reservas/registros/flags: every documented milestone; the ones the simulator plays have a
# moment (see Renderer._flag_moments), the others are always "N".
FLAG_NAMES = ("inicio", "inicio_semproposta", "vencida", "vendida", "distrato", "analisada",
              "aprovada", "aprovada_comercial", "vender_sienge", "cancelada_sienge", "cancelada",
              "pode_faturar", "documentos", "contrato", "aguardando_faturamento", "faturada",
              "pendente_assinatura_eletronica",
              "pendente_assinatura_eletronica_segundo_envelope",
              "assinatura_clientes_associados", "assinatura_todas_partes",
              "reprovada_comercial", "pendente_comercial", "devolucao_erp")

RowFn = Callable[[Table, int], dict]


def _base(tab: Table, i: int) -> dict:
    row: dict[str, Any] = {"referencia": tab.ref[i], "referencia_data": tab.rdate[i]}
    if tab.has_ativo:
        row["ativo"] = tab.ativo[i]
    return row


def _client(idc: int) -> dict:
    """Personal fields of a client, derived from the client id."""
    nome = f"{pick(P.FIRST, idc, 1)} {pick(P.LAST, idc, 2)} {pick(P.LAST, idc, 3)}"
    x = h(idc, 4)
    cpf = f"{x % 1000:03d}.{x // 1000 % 1000:03d}.{h(idc, 5) % 1000:03d}-{x % 97:02d}"
    email = "" if x % 23 == 0 else f"cliente{idc}@exemplo.com.br"
    return {"cliente": nome, "documento_cliente": cpf, "email": email,
            "cidade": pick(P.CITIES, idc, 6)[0],
            "cep_cliente": f"{h(idc, 7) % 99999:05d}-{h(idc, 8) % 1000:03d}",
            "sexo": pick(["M", "F", "F", "M", None], idc, 9),
            "idade": None if x % 17 == 0 else 21 + h(idc, 10) % 50,
            "estado_civil": pick(P.ESTADO_CIVIL, idc, 11)}


def _phone(n: int, salt: int) -> str:
    return f"(11) 9{h(n, salt) % 9000 + 1000:04d}-{h(n, salt + 1) % 10000:04d}"


def _cpf(n: int, salt: int) -> str:
    return f"{h(n, salt) % 1000:03d}.{h(n, salt + 1) % 1000:03d}.{h(n, salt + 2) % 1000:03d}-{n % 97:02d}"


def _lead_person(idlead: int) -> dict:
    """Personal fields of a lead (a prospect, not yet a client), derived from the lead id."""
    x = h(idlead, 21)
    return {"nome": f"{pick(P.FIRST, idlead, 22)} {pick(P.LAST, idlead, 23)} {pick(P.LAST, idlead, 24)}",
            "email": "" if x % 19 == 0 else f"lead{idlead}@exemplo.com.br",
            "telefone": _phone(idlead, 25),
            "documento_cliente": None if x % 3 else _cpf(idlead, 26),
            "cep_cliente": f"{h(idlead, 28) % 99999:05d}-{h(idlead, 29) % 1000:03d}",
            "renda_familiar": None if x % 5 else money((h(idlead, 30) % 3000 + 200) * 1000)}


def _place(u: Unit) -> dict:
    e = u.emp
    return {"idempreendimento": e.id, "empreendimento": e.nome, "regiao": e.regiao,
            "etapa": u.etapa[1], "bloco": u.bloco[1], "idunidade": u.id,
            "unidade": u.nome}


def _sales_team(r: Reserva) -> dict:
    c = r.corr
    return {"idcorretor": c.id, "corretor": c.nome, "idimobiliaria": c.imob.id,
            "imobiliaria": c.imob.nome}


class Renderer:
    """Holds the world (for lookups) and maps each path to its row function."""

    def __init__(self, world: World) -> None:
        self.world = world
        self._fns: dict[str, RowFn] = {
            "reservas": self.reserva, "reservas/condicoes": self.condicao,
            "reservas/historico/situacoes": self.historico, "vendas": self.venda,
            "distratos": self.distrato, "comissoes": self.comissao,
            "comissoes/pagamentos": self.pagamento, "unidades": self.unidade,
            "unidades/situacao": self.unidade_situacao, "repasses": self.repasse,
            "atendimentos": self.atendimento, "corretores": self.corretor,
            "imobiliarias": self.imobiliaria, "leads": self.lead,
            "leads/visitas": self.visita, "leads/historico/situacoes": self.lead_historico,
            "precadastros": self.precadastro,
            "precadastro/historico/situacoes": self.precadastro_historico,
            "reservas/registros/flags": self.flags,
            "repasses/historico/situacoes": self.repasse_historico,
            "unidades/precos": self.preco,
        }

    def fn(self, path: str) -> RowFn:
        return self._fns[path]

    # -------------------------------------------------------------- reservas
    def reserva(self, tab: Table, i: int) -> dict:
        r: Reserva = tab.ents[i]
        u, e = r.unit, r.unit.emp
        sold = r.t_venda is not None
        rid = r.id
        row = _base(tab, i)
        tv = P.TIPOVENDA[r.tipovenda]
        tabela = pick(P.TABELAS, rid, 1)
        time_ = pick(P.TIMES, r.corr.id, 2)
        midia = P.MIDIAS[r.midia]
        row.update({
            "idreserva": rid, "codigointerno": f"R{rid:07d}" if rid % 5 else "",
            "numero_venda": str(rid * 7 % 100000) if sold else None,
            "idempreendimento": e.id, "codigointerno_empreendimento": e.code,
            "idunidade": u.id, "idcliente": r.idcliente, "idcorretor": r.corr.id,
            "idimobiliaria": r.corr.imob.id, "idtime": time_[0],
            "idprecadastro": r.idprecadastro,
            "idmidia": P.MIDIA_IDS[midia], "idtabela": tabela[0], "idtipovenda": tv[0],
            "idtipo_reserva": 1, "idlead": r.idlead, "idsituacao": P.SIT_IDS[r.sit],
            "idsituacao_anterior": P.SIT_IDS.get(r.sit_prev) if r.sit_prev else None,
            "situacao": r.sit, "situacao_comercial": P.SIT_COMERCIAL[r.sit],
            "situacao_anterior": r.sit_prev,
            "aprovada": "Sim" if sold else "Não", "venda": "Sim" if sold else "Não",
            "cessao": "Sim" if h(rid, 3) % 50 == 0 else "Não",
            "tipo_reserva": "Padrão", "tipovenda": tv[1],
        })
        row.update(self._reserva_dates(r, sold))
        row.update(self._reserva_money(r))
        row.update({
            "empreendimento": e.nome, "etapa": u.etapa[1], "bloco": u.bloco[1],
            "unidade": u.nome, "regiao": e.regiao, "corretor": r.corr.nome,
            "imobiliaria": r.corr.imob.nome, "time": time_[1], "midia": midia,
            "campanha": pick(P.CAMPANHAS, rid, 4), "nometabela": tabela[1],
            "motivo_cancelamento": r.motivo,
        })
        row.update(_client(r.idcliente))
        row["campos_adicionais"] = self._campos(r)
        row["campos_adicionais_contrato"] = self._campos_contrato(r) if sold else []
        return row

    @staticmethod
    def _reserva_dates(r: Reserva, sold: bool) -> dict:
        no_sale = ZERO if h(r.id, 5) % 5 == 0 else None
        return {
            "data_cad": fmt_dt(r.t_cad),
            "data_venda": fmt_dt(r.t_venda) if sold else no_sale,
            "data_contrato": fmt_d(r.t_contrato) if sold else None,
            "data_aprovacao": fmt_dt(r.t_venda) if sold else None,
            "data_cancelamento": fmt_dt(r.t_cancel),
            "data_ultima_alteracao_situacao": fmt_dt(r.t_sit),
            "data_modificacao": fmt_dt(r.t_mod),
            "vencimento": fmt_d(r.t_cad + 3 * DAY),
        }

    @staticmethod
    def _reserva_money(r: Reserva) -> dict:
        c = r.cents
        renda = h(r.idcliente, 12) % 2000000 + 300000
        return {
            "valor_contrato": money(c), "valor_contrato_com_juros": money(round(c * 1.035)),
            "valor_proposta": money(c), "vpl_reserva": money(round(c * 0.94)),
            "vgv_tabela": money(r.unit.cents), "vpl_tabela": money(round(r.unit.cents * 0.95)),
            "valor_fgts": money(r.fgts), "valor_financiamento": money(r.fin),
            "valor_subsidio": money(r.sub),
            "renda": None if renda % 11 == 0 else ("" if renda % 13 == 0 else money(renda)),
        }

    @staticmethod
    def _campos(r: Reserva) -> list[dict]:
        ref_data = fmt_dt(r.t_cad)
        renda = (h(r.id, 13) % 40 + 2) * 50000
        return [
            {"referencia": f"{r.id}_11", "referencia_data": ref_data, "idcampo": 11,
             "nome": "Renda familiar", "valor": P.brl(renda), "tipo": "valor"},
            {"referencia": f"{r.id}_12", "referencia_data": ref_data, "idcampo": 12,
             "nome": "Como conheceu o empreendimento", "valor": pick(P.ORIGENS, r.id, 14),
             "tipo": "select"},
        ]

    @staticmethod
    def _campos_contrato(r: Reserva) -> list[dict]:
        ref_data = fmt_dt(r.t_venda)
        return [
            {"referencia": f"{r.id}_31", "referencia_data": ref_data, "idcampo": 31,
             "nome": "Cartório", "valor": pick(["1º Ofício de Notas", "2º Ofício de Notas", ""],
                                              r.id, 15), "tipo": "texto"},
            {"referencia": f"{r.id}_32", "referencia_data": ref_data, "idcampo": 32,
             "nome": "Valor ITBI", "valor": P.brl(round(r.cents * 0.02)), "tipo": "valor"},
        ]

    def condicao(self, tab: Table, i: int) -> dict:
        c = tab.ents[i]
        r = c.res
        row = _base(tab, i)
        row.update({
            "idreservascondicoes": c.id, "idreserva": r.id, "idserie": P.SERIE_IDS[c.serie],
            "serie": c.serie, "parcela_quantidade": c.n, "valor": money(c.cents),
            "valor_com_juros": money(round(c.cents * (1.0 if c.n == 1 else 1.08))),
            "valor_sem_comissao": money(round(c.cents * 0.95)), "vencimento": fmt_d(c.t_venc),
            "portador": pick(["Construtora", "Banco", None, ""], c.id, 1),
            "indexador": c.indexador, "data_reservas_condicoes": fmt_dt(r.t_cad),
            "data_modificacao": fmt_dt(r.t_cad),
        })
        return row

    def historico(self, tab: Table, i: int) -> dict:
        hi = tab.ents[i]
        row = _base(tab, i)
        row.update({
            "idhistorico": hi.id, "idreserva": hi.res.id, "data_cad": fmt_dt(hi.t),
            "de": P.SIT_IDS[hi.de] if hi.de else None, "para": P.SIT_IDS[hi.para],
            "de_nome": hi.de, "para_nome": hi.para, "idusuario": hi.user,
        })
        return row

    # ---------------------------------------------------------------- sales
    def venda(self, tab: Table, i: int) -> dict:
        r: Reserva = tab.ents[i]
        u = r.unit
        tv = P.TIPOVENDA[r.tipovenda]
        tabela = pick(P.TABELAS, r.id, 1)
        midia = P.MIDIAS[r.midia]
        row = _base(tab, i)
        row.update({
            "idreserva": r.id, "data_reserva": fmt_dt(r.t_cad), "data_venda": fmt_d(r.t_venda),
            "idhistorico": None, "data_historico": fmt_dt(r.t_venda), "aprovada": "Sim",
            "valor_contrato": money(r.cents), "contrato_interno": f"CT-{r.id}",
            "area_privativa": u.area, "idcliente": r.idcliente,
        })
        row.update({k: v for k, v in _client(r.idcliente).items() if k != "cidade"})
        row.update(_sales_team(r))
        row.update(_place(u))
        row.update({
            "campanha": pick(P.CAMPANHAS, r.id, 4), "idmidia": P.MIDIA_IDS[midia],
            "midia": midia, "idtabela": tabela[0], "nometabela": tabela[1],
            "idtipovenda": tv[0], "tipovenda": tv[1], "idlead": r.idlead,
            "associados": self._associados(r),
        })
        return row

    @staticmethod
    def _associados(r: Reserva) -> list[dict]:
        main = {"ativo": "S", "idpessoa_cv": r.idcliente, "idtipo_associacao": 1,
                "tipo_associacao": "Titular", "percentagem_participacao": 100}
        if h(r.id, 16) % 3:
            return [main]
        main["percentagem_participacao"] = 50
        return [main, {"ativo": "S", "idpessoa_cv": 90000 + r.id, "idtipo_associacao": 2,
                       "tipo_associacao": "Cônjuge", "percentagem_participacao": 50}]

    def distrato(self, tab: Table, i: int) -> dict:
        r: Reserva = tab.ents[i]
        cli = _client(r.idcliente)
        mot = r.dist_motivo
        t_cad = max(r.t_venda + DAY, r.t_dist - (h(r.id, 17) % 4) * DAY)
        row = _base(tab, i)
        row.update({
            "idreserva": r.id, "aprovada": "Sim", "data_cad": fmt_dt(t_cad),
            "situacao_data": "" if r.dist_blank else fmt_dt(r.t_dist),
            "situacao_atual": P.DIST_SIT[1], "idsituacao": P.DIST_SIT[0],
        })
        row.update(_place(r.unit))
        row.update({
            "venda": "Sim", "idcliente": r.idcliente, "cliente": cli["cliente"],
            "documento": cli["documento_cliente"], "cep_cliente": cli["cep_cliente"],
        })
        row.update(_sales_team(r))
        row.update({
            "motivo_distrato": mot[1], "descricao_motivo_distrato": "" if mot[0] % 2 else None,
            "valor_contrato": money(r.cents), "data_sincronizacao": fmt_dt(r.t_dist),
        })
        return row

    def comissao(self, tab: Table, i: int) -> dict:
        c = tab.ents[i]
        r: Reserva = c.res
        u = r.unit
        cli = _client(r.idcliente)
        row = _base(tab, i)
        row.update({
            "idcomissao": c.id, "situacao": c.sit, "idsituacao": P.COMM_SIT_IDS[c.sit],
            "idreserva": r.id, "corretor": r.corr.nome, "imobiliaria": r.corr.imob.nome,
            "empreendimento": u.emp.nome, "etapa": u.etapa[1], "bloco": u.bloco[1],
            "unidade": u.nome, "regiao": u.emp.regiao, "cliente": cli["cliente"],
            "cep_cliente": cli["cep_cliente"], "valor_contrato": money(r.cents),
            "porcentagem_comissao": c.pct, "valor_comissao": c.valor,
            "valor_comissao_apagar": round(c.valor - c.paid / 100, 2),
            "valor_pagamento": money(c.paid),
            "nota_fiscal": c.nf, "data_pagamento": fmt_d(c.t_pay),
            "data_cad": ZERO if c.zero else fmt_dt(c.t_cad),
        })
        return row

    def pagamento(self, tab: Table, i: int) -> dict:
        p = tab.ents[i]
        row = _base(tab, i)
        row.update({
            "idpagamento": p.id, "idcomissao": p.comm.id, "valor": money(p.cents),
            "vencimento": fmt_d(p.t_venc), "situacao": "Pago",
            "idBoleto": None if p.id % 3 else 700000 + p.id,
        })
        return row

    def repasse(self, tab: Table, i: int) -> dict:
        rep = tab.ents[i]
        r: Reserva = rep.res
        sit = P.REP_STEPS[rep.step]
        row = _base(tab, i)
        row.update({
            "idrepasse": rep.id, "idreserva": r.id, "idunidade": r.unit.id,
            "idcliente": r.idcliente, "idcontrato": 60000 + r.id,
            "cliente": _client(r.idcliente)["cliente"],
            "documento_cliente": _client(r.idcliente)["documento_cliente"],
            "cep_cliente": _client(r.idcliente)["cep_cliente"],
            "idempreendimento": r.unit.emp.id, "idsituacao": sit[1], "situacao": sit[0],
            "contrato": rep.contrato, "parcela": rep.parcela,
            "valor_previsto": money(r.fin + r.fgts + r.sub),
            "saldo_devedor": money(r.fin if rep.t_reg is None else round(r.fin * 0.99)),
            "valor_subsidio": money(r.sub), "valor_fgts": money(r.fgts),
            "valor_financiado": money(r.fin), "data_registro": fmt_d(rep.t_reg),
            "data_alteracao_status": fmt_dt(rep.t_step), "data_venda": fmt_dt(r.t_venda),
            "data_assinatura_de_contrato": fmt_d(r.t_contrato) if rep.step else "",
            "data_recurso_liberado": fmt_d(rep.t_lib),
            "data_cadastro": fmt_dt(r.t_venda), "data_modificacao": fmt_dt(rep.t_step),
            "numero_contrato": f"8.4444.{r.id:07d}-{r.id % 10}" if rep.step >= 1 else None,
            "correspondente": pick(P.CORRESPONDENTES, rep.id, 1),
            "banco": rep.banco, "agencia": f"{h(rep.id, 2) % 9000 + 1000}",
            "idlead": r.idlead, "campos_adicionais": [],
        })
        return row

    # ---------------------------------------------------------------- units
    def unidade(self, tab: Table, i: int) -> dict:
        u: Unit = tab.ents[i]
        e = u.emp
        st = u.status
        lib = fmt_br(u.liberar) if isinstance(u.liberar, int) else u.liberar
        row = _base(tab, i)
        row.update({
            "idunidade": str(u.id), "idunidade_int": u.id, "idempreendimento": e.id,
            "nome_empreendimento": e.nome, "idtipo_empreendimento": e.tipo[0],
            "tipo_empreendimento": e.tipo[1], "idetapa": u.etapa[0], "etapa": u.etapa[1],
            "idbloco": u.bloco[0], "bloco": u.bloco[1], "nome": u.nome,
            "cib": None if u.id % 4 else f"CIB{u.id:08d}",
            "area_privativa": u.area, "vagas_garagem": str(u.vagas), "andar": str(u.andar),
            "area_comum": f"{u.area_comum:.2f}", "coluna": u.coluna, "posicao": u.coluna,
            "tipologia": u.tipologia, "tipo": "Apartamento",
            "valor": f"{u.cents / 100:.2f}", "valor_avaliacao": f"{u.cents * 1.05 / 100:.2f}",
            "data_bloqueio": fmt_br(u.t_bloq) if st == 4 else None,
            "data_entrega": fmt_br(e.entrega), "data_entrega_chaves": fmt_br(e.entrega + 30 * DAY),
            "agendar_a_partir": fmt_br(e.entrega - 15 * DAY) if u.id % 6 else "",
            "liberar_a_partir": lib,
            "situacao_mapa_disponibilidade": st,
            "situacao_para_venda": "Sim" if st == 1 else "Não",
            "situacao_reservada": "Sim" if st in (2, 5) else "Não",
            "situacao_vendida": "Sim" if st == 3 else "Não",
            "situacao_bloqueada": "Sim" if st == 4 else "Não",
            "situacao_bloqueada_motivo": "Aguardando liberação" if st == 4 else None,
            "situacao_nome": u.who,
            "plantas": [{"idplanta": e.id * 10 + len(u.tipologia) % 7,
                         "nome": f"Planta {u.tipologia}"}],
            "campos_adicionais": [
                {"nome_referencia": "valor_condominio",
                 "valor": P.brl((int(u.area * 12) // 50 + 1) * 5000)},
                {"nome_referencia": "posicao_solar",
                 "valor": pick(["Norte", "Sul", "Leste", "Oeste", ""], u.id, 3)},
            ],
        })
        return row

    def unidade_situacao(self, tab: Table, i: int) -> dict:
        s = tab.ents[i]
        u = s.unit
        row = _base(tab, i)
        row.update({
            "idunidade": u.id, "nome": u.nome, "modificou": s.who,
            "de_situacao": s.de, "para_situacao": s.para, "data_cad": fmt_dt(s.t),
            "idempreendimento": u.emp.id, "empreendimento": u.emp.nome,
            "idetapa": u.etapa[0], "etapa": u.etapa[1], "idbloco": u.bloco[0],
            "bloco": u.bloco[1],
        })
        return row

    # --------------------------------------------------------------- others
    def atendimento(self, tab: Table, i: int) -> dict:
        a = tab.ents[i]
        sit = P.ATD_SITS[a.step]
        assunto = P.ASSUNTOS[a.assunto]
        u = a.units[0] if a.units else None
        idcliente = a.cliente or 20000 + h(a.id, 1) % 5000
        cli = _client(idcliente)
        row = _base(tab, i)
        row.update({
            "idatendimento": a.id, "protocolo": f"AT{a.id:07d}", "data_cad": fmt_dt(a.t_cad),
            "data_situacao": fmt_dt(a.t_sit), "idsituacao": sit[1], "situacao": sit[0],
            "prioridade": a.prioridade, "idcanal": a.canal + 1, "canal": P.CANAIS[a.canal],
            "idlead": a.lead, "idempreendimento": a.emp.id, "empreendimento": a.emp.nome,
            "etapa": u.etapa[1] if u else None, "bloco": u.bloco[1] if u else None,
            "unidade": u.nome if u else "",
            "idunidade": ", ".join(str(x.id) for x in a.units),
            "idcliente": idcliente, "assunto": assunto[0], "cliente": cli["cliente"],
            "nome_cliente": cli["cliente"], "documento_cliente": cli["documento_cliente"],
            "email_cliente": cli["email"],
            "telefone_atendimento": _phone(a.id, 31),
            "subassunto": assunto[1], "idresponsavel": h(a.id, 2) % 40 + 1,
            "idcorretor": a.corr.id, "idimobiliaria": a.corr.imob.id,
            "quantidade_interacoes": a.n_inter, "origem": P.CANAIS[a.canal],
            "data_modificacao": fmt_dt(a.t_sit),
        })
        return row

    def corretor(self, tab: Table, i: int) -> dict:
        c = tab.ents[i]
        row = _base(tab, i)
        row.update({
            "idcorretor": c.id, "idimobiliaria": c.imob.id, "nome": c.nome,
            "categoria": c.categoria, "nivel": c.nivel, "creci": c.creci,
            "data_cad": fmt_dt(c.t_cad) if c.t_cad is not None else ZERO,
            "email": f"corretor{c.id}@imob{c.imob.id}.com.br" if c.id % 9 else "",
            "telefone": f"(11) 9{h(c.id, 1) % 10000:04d}-{h(c.id, 2) % 10000:04d}",
            "documento": _cpf(c.id, 33),
            "rg": f"{h(c.id, 36) % 90 + 10}.{h(c.id, 37) % 1000:03d}.{h(c.id, 38) % 1000:03d}-{c.id % 10}",
            "cep": f"{h(c.id, 39) % 99999:05d}-{h(c.id, 40) % 1000:03d}",
            "data_nasc": f"{1960 + h(c.id, 41) % 40}-{h(c.id, 42) % 12 + 1:02d}-{h(c.id, 43) % 28 + 1:02d}",
        })
        return row

    def imobiliaria(self, tab: Table, i: int) -> dict:
        m = tab.ents[i]
        row = _base(tab, i)
        row.update({
            "idimobiliaria": m.id, "nome": m.nome, "razao_social": m.razao,
            "cnpj": m.cnpj, "cidade": m.cidade, "estado": m.uf, "data_cad": fmt_dt(m.t_cad),
        })
        return row

    def lead(self, tab: Table, i: int) -> dict:
        ld = tab.ents[i]
        c = ld.corr
        discarded = ld.sit == "Descartado"
        row = _base(tab, i)
        row.update({
            "idlead": ld.id, "idsituacao": P.LEAD_SIT_IDS[ld.sit], "situacao": ld.sit,
            "data_cad": fmt_dt(ld.t_cad), "idempreendimento": ld.emp.id,
            "empreendimento": ld.emp.nome, "idcorretor": c.id if c else None,
            "corretor": c.nome if c else None, "idimobiliaria": c.imob.id if c else None,
            "imobiliaria": c.imob.nome if c else None, "origem": ld.origem,
            "origem_ultimo": ld.origem2, "midia_original": ld.midia, "midia_ultimo": ld.midia2,
            "conversao_original": ld.conversao, "reserva": ld.reserva,
            "motivo_cancelamento": pick(P.MOTIVOS_DESCARTE, ld.id, 27) if discarded else None,
            "data_cancelamento": fmt_dt(ld.t_sit) if discarded else None,
        })
        row.update(_lead_person(ld.id))
        return row

    # --------------------------------------------------------------- funnel
    def visita(self, tab: Table, i: int) -> dict:
        v = tab.ents[i]
        ld = v.lead
        c, e = ld.corr, ld.emp
        row = _base(tab, i)
        row.update({
            "idtarefa": v.id, "idinteracao": 2 * v.id + 7, "idlead": ld.id,
            "data_cad": fmt_dt(v.t_cad), "data": fmt_dt(v.t_data),
            "idresponsavel": c.id if c else None, "responsavel": c.nome if c else None,
            "tipo_responsavel": "Corretor" if c else None, "situacao": v.sit,
            "tipo_interacao": "Visita", "idtipo_visita": v.tipo,
            "nome_tipo_visita": "Visita" if v.tipo == 1 else "Revisita",
            "idresponsavel_por_criar_visita": c.id if c else None,
            "responsavel_por_criar_visita": c.nome if c else None,
            "funcionalidade": pick(["Agenda", "App do corretor", "Painel do gestor"], v.id, 1),
            "data_conclusao": fmt_dt(v.t_done), "pdv": pick(P.PDVS, e.id, 2),
            "painel_pdv": "S" if h(v.id, 3) % 4 == 0 else "N",
            "visita_virtual": "S" if v.virtual else "N",
            "idempreendimento": e.id, "nome_empreendimento": e.nome,
        })
        return row

    def lead_historico(self, tab: Table, i: int) -> dict:
        ch = tab.ents[i]
        discarded = ch.para == "Descartado"
        row = _base(tab, i)
        row.update({
            "idhistorico": int(tab.ref[i]), "idlead": ch.ent.id, "data_cad": fmt_dt(ch.t),
            "de": P.LEAD_SIT_IDS[ch.de] if ch.de else None, "para": P.LEAD_SIT_IDS[ch.para],
            "de_nome": ch.de, "para_nome": ch.para,
            "motivo_cancelamento": pick(P.MOTIVOS_DESCARTE, ch.ent.id, 27) if discarded else None,
            "data_cancelamento": fmt_dt(ch.t) if discarded else None,
            "painel_usuario": pick(["Corretor", "Gestor", "Sistema"], i, 1),
            "idusuario": h(i, 2) % 40 + 1,
        })
        return row

    def precadastro(self, tab: Table, i: int) -> dict:
        p = tab.ents[i]
        ld, u = p.lead, p.unit
        c, e = ld.corr, u.emp if u else ld.emp
        person = _lead_person(ld.id)
        row = _base(tab, i)
        row.update({
            "idprecadastro": p.id, "codigointerno": f"PC{p.id:06d}" if p.id % 4 else "",
            "idsituacao": P.PASTA_SIT_IDS[p.sit], "situacao": p.sit,
            "idsituacao_anterior": P.PASTA_SIT_IDS[p.sit_prev] if p.sit_prev else None,
            "situacao_anterior": p.sit_prev,
            "condicao_aprovada": "Sim" if p.sit == "Aprovado" else "Não",
            "idempreendimento": e.id, "empreendimento": e.nome,
            "idunidade": u.id if u else None, "unidade": u.nome if u else None,
            "idcorretor": c.id if c else None, "corretor": c.nome if c else None,
            "idimobiliaria": c.imob.id if c else None, "imobiliaria": c.imob.nome if c else None,
            "pessoa": person["nome"], "cep_cliente": person["cep_cliente"],
            "renda_cliente_principal": person["renda_familiar"], "idpessoa": 300000 + ld.id,
            "idlead": str(ld.id), "data_cad": fmt_dt(p.t_cad),
            "data_ultima_alteracao_situacao": fmt_dt(p.t_sit),
            "empresa_correspondente": pick(P.CORRESPONDENTES, p.id, 1),
        })
        row.update(self._pasta_money(p))
        row.update(self._pasta_motive(p))
        return row

    @staticmethod
    def _pasta_money(p: Any) -> dict:
        approved = p.sit == "Aprovado"
        fin = p.aprov if approved else None
        return {
            "valor_avaliacao": money(p.aval), "valor_aprovado": money(fin) if fin else None,
            "valor_fgts": money(p.fgts), "valor_subsidio": money(p.sub),
            "valor_total": money(p.aprov + p.fgts + p.sub) if approved else None,
            "valor_prestacao": money(round(p.aprov * 0.0095)) if approved else None,
            "prazo": "360" if approved else None,
            "vencimento_aprovacao": fmt_d(p.t_sit + 90 * DAY) if approved else None,
        }

    @staticmethod
    def _pasta_motive(p: Any) -> dict:
        refused = P.MOTIVOS_REPROVACAO[p.motivo] if p.sit == "Reprovado" else (None, None)
        cancelled = P.MOTIVOS_CANCEL_PASTA[p.motivo] if p.sit == "Cancelado" else (None, None)
        return {"idmotivo_reprovacao": refused[0], "motivo_reprovacao": refused[1],
                "descricao_motivo_reprovacao": "" if refused[0] else None,
                "idmotivo_cancelamento": cancelled[0], "motivo_cancelamento": cancelled[1]}

    def precadastro_historico(self, tab: Table, i: int) -> dict:
        ch = tab.ents[i]
        row = _base(tab, i)
        row.update({
            "idhistorico": int(tab.ref[i]), "idprecadastro": ch.ent.id, "data_cad": fmt_dt(ch.t),
            "de": P.PASTA_SIT_IDS[ch.de] if ch.de else None, "para": P.PASTA_SIT_IDS[ch.para],
            "de_nome": ch.de, "para_nome": ch.para,
        })
        return row

    def flags(self, tab: Table, i: int) -> dict:
        r: Reserva = tab.ents[i]
        u = r.unit
        row = _base(tab, i)
        row.update({
            "idreserva": r.id, "data_criacao_reserva": fmt_dt(r.t_cad),
            "empreendimento": u.emp.nome, "idempreendimento": u.emp.id,
            "etapa": u.etapa[1], "idetapa": u.etapa[0], "bloco": u.bloco[1], "idbloco": u.bloco[0],
            "unidade": u.nome, "idunidade": u.id, "cliente": _client(r.idcliente)["cliente"],
            "idcliente": r.idcliente, "corretor": r.corr.nome, "idcorretor": r.corr.id,
        })
        moments = self._flag_moments(r)
        for name in FLAG_NAMES:
            t = moments.get(name)
            row[f"flag_{name}"] = "N" if t is None else "S"
            row[f"data_flag_{name}"] = fmt_dt(t)
        return row

    @staticmethod
    def _flag_moments(r: Reserva) -> dict[str, int | None]:
        """When the reservation first reached each milestone the world plays."""
        return {"inicio": r.t_cad, "analisada": r.t_an, "aprovada": r.t_venda,
                "vendida": r.t_venda, "contrato": r.t_flag_contrato,
                "assinatura_todas_partes": r.t_flag_assinatura, "cancelada": r.t_cancel,
                "vencida": r.t_cancel if r.motivo == "Reserva expirada" else None,
                "distrato": r.t_dist}

    def repasse_historico(self, tab: Table, i: int) -> dict:
        ch = tab.ents[i]
        de = P.REP_STEPS[ch.de] if ch.de is not None else (None, None)
        para = P.REP_STEPS[ch.para]
        user = pick(P.BACKOFFICE, i, 1)
        corresp = pick(P.CORRESPONDENTES, ch.ent.id, 1)
        row = _base(tab, i)
        row.update({
            "idhistorico": int(tab.ref[i]), "idrepasse": ch.ent.id, "idusuario": user[0],
            "usuario": user[1], "idcorrespondente": P.CORRESPONDENTES.index(corresp) + 1
            if corresp else None, "correspondente": corresp, "data_cad": fmt_dt(ch.t),
            "de": de[1], "para": para[1], "de_nome": de[0], "para_nome": para[0],
        })
        return row

    def preco(self, tab: Table, i: int) -> dict:
        p = tab.ents[i]
        u, pt = p.unit, p.table
        cents = unit_price(u, pt)
        row = _base(tab, i)
        row.update({
            "idunidade": u.id, "unidade": u.nome, "empreendimento": u.emp.nome,
            "idempreendimento": u.emp.id, "etapa": u.etapa[1], "idetapa": u.etapa[0],
            "bloco": u.bloco[1], "idbloco": u.bloco[0], "valor": f"{cents / 100:.2f}",
            "idtabela": pt.idtabela, "tabela": pt.nome,
            "data_vigencia_de": fmt_d(pt.d_de * DAY), "data_vigencia_ate": fmt_d(pt.d_ate * DAY),
            "valor_avaliacao": f"{cents * 1.05 / 100:.2f}",
        })
        return row
