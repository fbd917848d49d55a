-- One row per credit file ("pasta", `idprecadastro`). `idlead` is a list, kept as CVDW's text.
-- The person, CEP, income and free-text notes are not read.
with

source as (

    {{ cvdw_source('precadastros') }}

),

renamed as (

    select
        conta,
        idprecadastro,
        {{ cvdw_text('codigointerno') }} as codigo_interno,
        idsituacao,
        {{ cvdw_text('situacao') }} as situacao,
        idsituacao_anterior,
        {{ cvdw_text('situacao_anterior') }} as situacao_anterior,
        {{ cvdw_text('idlead') }} as idlead,
        idpessoa,
        idempreendimento,
        {{ cvdw_text('empreendimento') }} as empreendimento,
        idunidade,
        {{ cvdw_text('unidade') }} as unidade,
        idcorretor,
        {{ cvdw_text('corretor') }} as corretor,
        idimobiliaria,
        {{ cvdw_text('imobiliaria') }} as imobiliaria,
        idempresa,
        {{ cvdw_text('empresa') }} as empresa,
        idusuario_correspondente,
        {{ cvdw_text('usuario_correspondente') }} as usuario_correspondente,
        {{ cvdw_text('empresa_correspondente') }} as empresa_correspondente,
        {{ cvdw_text('condicao_aprovada') }} as condicao_aprovada,
        {{ cvdw_number('valor_avaliacao') }} as valor_avaliacao,
        {{ cvdw_number('valor_aprovado') }} as valor_aprovado,
        {{ cvdw_number('valor_subsidio') }} as valor_subsidio,
        {{ cvdw_number('valor_fgts') }} as valor_fgts,
        {{ cvdw_number('valor_total') }} as valor_total,
        {{ cvdw_number('saldo_devedor') }} as saldo_devedor,
        {{ cvdw_number('valor_prestacao') }} as valor_prestacao,
        {{ cvdw_parse_number('prazo') }}::integer as prazo,
        {{ cvdw_text('tabela') }} as tabela,
        idmotivo_reprovacao,
        {{ cvdw_text('motivo_reprovacao') }} as motivo_reprovacao,
        idmotivo_cancelamento,
        {{ cvdw_text('motivo_cancelamento') }} as motivo_cancelamento,
        {{ cvdw_date('vencimento_aprovacao') }} as vencimento_aprovacao,
        {{ cvdw_timestamp('data_cad') }} as data_cad,
        {{ cvdw_timestamp('data_ultima_alteracao_situacao') }} as data_ultima_alteracao_situacao,
        coalesce({{ cvdw_bool('ativo') }}, true) as is_ativo,
        {{ cvdw_timestamp('referencia_data') }} as atualizado_em,
        _dlt_load_id
    from source

),

final as (

    select distinct on (conta, idprecadastro) *
    from renamed
    where idprecadastro is not null
    order by conta, idprecadastro, {{ cvdw_newest_first() }}

)

select * from final
