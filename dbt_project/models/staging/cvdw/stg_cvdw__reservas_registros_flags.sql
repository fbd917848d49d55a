-- One row per reservation (`idreserva`): whether and when it first reached each milestone
-- (`flag_<milestone>` S/N as boolean, `data_flag_<milestone>` the moment). The client's name is
-- not read.
with

source as (

    {{ cvdw_source('reservas_registros_flags') }}

),

renamed as (

    select
        conta,
        idreserva,
        {{ cvdw_timestamp('data_criacao_reserva') }} as data_criacao_reserva,
        idempreendimento,
        {{ cvdw_text('empreendimento') }} as empreendimento,
        idetapa,
        {{ cvdw_text('etapa') }} as etapa,
        idbloco,
        {{ cvdw_text('bloco') }} as bloco,
        idunidade,
        {{ cvdw_text('unidade') }} as unidade,
        idcliente,
        idcorretor,
        {{ cvdw_text('corretor') }} as corretor,
        {{ cvdw_bool('flag_inicio') }} as flag_inicio,
        {{ cvdw_timestamp('data_flag_inicio') }} as data_flag_inicio,
        {{ cvdw_bool('flag_inicio_semproposta') }} as flag_inicio_semproposta,
        {{ cvdw_timestamp('data_flag_inicio_semproposta') }} as data_flag_inicio_semproposta,
        {{ cvdw_bool('flag_vencida') }} as flag_vencida,
        {{ cvdw_timestamp('data_flag_vencida') }} as data_flag_vencida,
        {{ cvdw_bool('flag_vendida') }} as flag_vendida,
        {{ cvdw_timestamp('data_flag_vendida') }} as data_flag_vendida,
        {{ cvdw_bool('flag_distrato') }} as flag_distrato,
        {{ cvdw_timestamp('data_flag_distrato') }} as data_flag_distrato,
        {{ cvdw_bool('flag_analisada') }} as flag_analisada,
        {{ cvdw_timestamp('data_flag_analisada') }} as data_flag_analisada,
        {{ cvdw_bool('flag_aprovada') }} as flag_aprovada,
        {{ cvdw_timestamp('data_flag_aprovada') }} as data_flag_aprovada,
        {{ cvdw_bool('flag_aprovada_comercial') }} as flag_aprovada_comercial,
        {{ cvdw_timestamp('data_flag_aprovada_comercial') }} as data_flag_aprovada_comercial,
        {{ cvdw_bool('flag_vender_sienge') }} as flag_vender_sienge,
        {{ cvdw_timestamp('data_flag_vender_sienge') }} as data_flag_vender_sienge,
        {{ cvdw_bool('flag_cancelada_sienge') }} as flag_cancelada_sienge,
        {{ cvdw_timestamp('data_flag_cancelada_sienge') }} as data_flag_cancelada_sienge,
        {{ cvdw_bool('flag_cancelada') }} as flag_cancelada,
        {{ cvdw_timestamp('data_flag_cancelada') }} as data_flag_cancelada,
        {{ cvdw_bool('flag_pode_faturar') }} as flag_pode_faturar,
        {{ cvdw_timestamp('data_flag_pode_faturar') }} as data_flag_pode_faturar,
        {{ cvdw_bool('flag_documentos') }} as flag_documentos,
        {{ cvdw_timestamp('data_flag_documentos') }} as data_flag_documentos,
        {{ cvdw_bool('flag_contrato') }} as flag_contrato,
        {{ cvdw_timestamp('data_flag_contrato') }} as data_flag_contrato,
        {{ cvdw_bool('flag_aguardando_faturamento') }} as flag_aguardando_faturamento,
        {{ cvdw_timestamp('data_flag_aguardando_faturamento') }} as data_flag_aguardando_faturamento,
        {{ cvdw_bool('flag_faturada') }} as flag_faturada,
        {{ cvdw_timestamp('data_flag_faturada') }} as data_flag_faturada,
        {{ cvdw_bool('flag_pendente_assinatura_eletronica') }} as flag_pendente_assinatura_eletronica,
        {{ cvdw_timestamp('data_flag_pendente_assinatura_eletronica') }} as data_flag_pendente_assinatura_eletronica,
        {{ cvdw_bool('flag_pendente_assinatura_eletronica_segundo_envelope') }}
            as flag_pendente_assinatura_eletronica_segundo_envelope,
        {{ cvdw_timestamp('data_flag_pendente_assinatura_eletronica_segundo_envelope') }}
            as data_flag_pendente_assinatura_eletronica_segundo_envelope,
        {{ cvdw_bool('flag_assinatura_clientes_associados') }} as flag_assinatura_clientes_associados,
        {{ cvdw_timestamp('data_flag_assinatura_clientes_associados') }} as data_flag_assinatura_clientes_associados,
        {{ cvdw_bool('flag_assinatura_todas_partes') }} as flag_assinatura_todas_partes,
        {{ cvdw_timestamp('data_flag_assinatura_todas_partes') }} as data_flag_assinatura_todas_partes,
        {{ cvdw_bool('flag_reprovada_comercial') }} as flag_reprovada_comercial,
        {{ cvdw_timestamp('data_flag_reprovada_comercial') }} as data_flag_reprovada_comercial,
        {{ cvdw_bool('flag_pendente_comercial') }} as flag_pendente_comercial,
        {{ cvdw_timestamp('data_flag_pendente_comercial') }} as data_flag_pendente_comercial,
        {{ cvdw_bool('flag_devolucao_erp') }} as flag_devolucao_erp,
        {{ cvdw_timestamp('data_flag_devolucao_erp') }} as data_flag_devolucao_erp,
        coalesce({{ cvdw_bool('ativo') }}, true) as is_ativo,
        {{ cvdw_timestamp('referencia_data') }} as atualizado_em,
        _dlt_load_id
    from source

),

final as (

    select distinct on (conta, idreserva) *
    from renamed
    where idreserva is not null
    order by conta, idreserva, {{ cvdw_newest_first() }}

)

select * from final
